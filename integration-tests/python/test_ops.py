"""Operations: the Prometheus endpoint scraped with urllib while exchanges run, readiness over
HTTP, one log line per finished exchange and a single line (no stack trace) for a client that
vanishes mid-stream. Each test reads its own server's stderr log (slf4j-simple and grpc's
java.util.logging both write there)."""

import re
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import SERVER_SCRIPT

README = SERVER_SCRIPT.resolve().parents[1] / "README.md"

LINE = re.compile(r"INFO io\.wasmflight\.server\.exchange - exchange (\S+) (.*)$")


@pytest.fixture(scope="module")
def ops_server(start_server, examples_dir):
    server = start_server("--metrics-port", "0",
                          "--register", f"ops={examples_dir / 'add_one.wasm'}")
    assert server.metrics_url, server.stdout_lines
    return server, server.metrics_url


def scrape(base):
    """{series: value} of /metrics, e.g. 'wasmflight_sessions_total{outcome="ok"}': 3.0."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)
    return out


def ints(n, start=0):
    return pa.record_batch([pa.array(range(start, start + n), pa.int64())], names=["x"])


def exchange_lines(server, module_function, since=0):
    """The exchange log lines of one function after byte offset `since`, as field dicts."""
    text = server.log_path.read_text(errors="replace")[since:]
    lines = []
    for m in map(LINE.search, text.splitlines()):
        if m and m.group(1) == module_function:
            lines.append(dict(kv.split("=", 1) for kv in re.findall(r'\w+=(?:"[^"]*"|\S+)', m.group(2))))
    return lines


def wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_ready_and_registered_preload(ops_server):
    server, base = ops_server
    with urllib.request.urlopen(base + "/ready", timeout=10) as r:
        assert r.status == 200 and r.read() == b"SERVING\n"
    assert scrape(base)["wasmflight_modules_registered"] == 1.0
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(base + "/nothing", timeout=10)
    assert e.value.code == 404


def test_counters_move_mid_exchange_and_under_load(ops_server):
    server, base = ops_server
    client = flight.connect(server.location)
    before = scrape(base)

    # One exchange, batch by batch: the counters move while it is still open.
    writer, reader = client.do_exchange(flight.FlightDescriptor.for_path("ops", "add_one"))
    writer.begin(ints(1).schema)
    for i in range(3):
        writer.write_batch(ints(1000, i * 1000))
        assert reader.read_chunk().data.num_rows == 1000
        now = scrape(base)
        assert now["wasmflight_rows_in_total"] - before["wasmflight_rows_in_total"] == 1000 * (i + 1)
        assert now["wasmflight_batches_out_total"] - before["wasmflight_batches_out_total"] == i + 1
        assert now["wasmflight_sessions_active"] >= 1
    writer.done_writing()
    assert reader.read_all().num_rows == 0
    writer.close()

    # Load: 4 clients x 5 exchanges x 8 batches of 50K rows, scraped while they run.
    threads_n, per_thread, batches, rows = 4, 5, 8, 50_000
    errors = []

    def load():
        try:
            c = flight.connect(server.location)
            for _ in range(per_thread):
                w, r = c.do_exchange(flight.FlightDescriptor.for_path("ops", "add_one"))
                w.begin(ints(1).schema)
                for b in range(batches):
                    w.write_batch(ints(rows, b * rows))
                w.done_writing()
                assert r.read_all().num_rows == batches * rows
                w.close()
            c.close()
        except Exception as e:  # reported by the main thread
            errors.append(e)

    mid = scrape(base)
    workers = [threading.Thread(target=load) for _ in range(threads_n)]
    for t in workers:
        t.start()
    samples = []
    while any(t.is_alive() for t in workers):
        samples.append(scrape(base))
        time.sleep(0.02)
    for t in workers:
        t.join()
    assert not errors, errors
    after = scrape(base)

    rows_seen = [s["wasmflight_rows_in_total"] for s in samples]
    assert rows_seen == sorted(rows_seen), "a counter went down"
    moving = {v for v in rows_seen if mid["wasmflight_rows_in_total"] < v < after["wasmflight_rows_in_total"]}
    assert moving, f"no scrape saw the load half-done ({len(samples)} scrapes)"
    total = threads_n * per_thread * batches * rows
    assert after["wasmflight_rows_in_total"] - mid["wasmflight_rows_in_total"] == total
    assert after["wasmflight_rows_out_total"] - mid["wasmflight_rows_out_total"] == total
    assert after["wasmflight_batches_in_total"] - mid["wasmflight_batches_in_total"] == threads_n * per_thread * batches
    ok = 'wasmflight_sessions_total{outcome="ok"}'
    assert after[ok] - before.get(ok, 0) == 1 + threads_n * per_thread
    count = 'wasmflight_exchange_duration_seconds_count{engine="aot",function="ops/add_one"}'
    assert after[count] - before.get(count, 0) == 1 + threads_n * per_thread
    assert after["wasmflight_sessions_active"] == 0
    client.close()


def test_one_log_line_per_finished_exchange(ops_server):
    server, _ = ops_server
    since = len(server.log_path.read_text(errors="replace"))
    client = flight.connect(server.location)
    table = pa.Table.from_batches([ints(300)])
    writer, reader = client.do_exchange(flight.FlightDescriptor.for_command(
        b'{"module": "ops", "function": "add_one", "engine": "interpreter"}'))
    writer.begin(table.schema)
    writer.write_table(table, max_chunksize=100)
    writer.done_writing()
    assert reader.read_all().num_rows == 300
    writer.close()
    with pytest.raises(pa.ArrowKeyError):
        w, r = client.do_exchange(flight.FlightDescriptor.for_path("ops", "nope"))
        w.begin(table.schema)
        w.write_table(table)
        w.done_writing()
        r.read_all()
    client.close()

    lines = wait_for(lambda: exchange_lines(server, "ops/add_one", since))
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["engine"] == "interpreter" and line["outcome"] == "ok"
    assert (line["rows_in"], line["rows_out"], line["batches_in"], line["batches_out"]) == ("300", "300", "3", "3")
    # 100 int64 values and a 13-byte validity bitmap per batch, each way
    assert line["bytes_in"] == line["bytes_out"] == str(3 * (800 + 13))
    assert int(line["ms"]) >= 0
    failed = wait_for(lambda: exchange_lines(server, "-", since))
    assert [(f["outcome"], f["kind"]) for f in failed] == [("error", "not_found")]
    assert "has no function 'nope'" in failed[0]["error"]


def test_client_that_vanishes_is_one_line_without_stack_trace(ops_server):
    server, _ = ops_server
    since = len(server.log_path.read_text(errors="replace"))
    # A client process that dies in the middle of writing (no cancel, no goodbye).
    child = textwrap.dedent(f"""
        import os, pyarrow as pa, pyarrow.flight as flight
        c = flight.connect({server.location!r})
        w, r = c.do_exchange(flight.FlightDescriptor.for_path("ops", "add_one"))
        b = pa.record_batch([pa.array(range(200000), pa.int64())], names=["x"])
        w.begin(b.schema)
        for _ in range(10):
            w.write_batch(b)
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)
    lines = wait_for(lambda: [l for l in exchange_lines(server, "ops/add_one", since)
                              if l["outcome"] == "cancelled"])
    assert len(lines) == 1, lines
    assert lines[0]["kind"] == "cancelled"
    time.sleep(1)  # gRPC reports the closed stream on its own thread, maybe a little later
    new = server.log_path.read_text(errors="replace")[since:]
    assert "Stream Error" not in new and "Exception" not in new, new
    assert not [l for l in new.splitlines() if l.startswith("\tat ")], new
    assert len([l for l in new.splitlines() if "ops/add_one" in l]) == 1, new


def test_a_register_that_fails_stops_the_start(tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"not wasm")
    done = subprocess.run(
        [str(SERVER_SCRIPT), "--port", "0", "--data-dir", str(tmp_path / "data"),
         "--register", f"good={bad.parent / 'missing.wasm'}"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done
    assert "cannot read" in done.stderr and "listening" not in done.stdout, done
    done = subprocess.run(
        [str(SERVER_SCRIPT), "--port", "0", "--data-dir", str(tmp_path / "data"),
         "--register", f"b={bad}"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done
    assert f"wasm-flight: module rejected in preload b={bad}: " in done.stderr, done.stderr
    assert "listening" not in done.stdout, done


def test_the_readme_operations_snippets_run(ops_server):
    """README "Operations": its `py` blocks (fenced so, as they need a metrics port the quick
    start server does not open) run as written with METRICS_URL set to this server's."""
    _, base = ops_server
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Operations"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"^```py\n(.*?)^```", section, re.S | re.M)
    assert blocks, "no ```py block in README Operations"
    for code in blocks:
        exec(compile(code, "README.md (Operations)", "exec"), {"METRICS_URL": base})  # noqa: S102
