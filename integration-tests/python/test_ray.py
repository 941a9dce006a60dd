"""wasm_flight.ray on a local Ray cluster (proto-docs/ray.md): two wasm-flight servers as Ray
actors, a real pipeline (Parquet files -> a Wasm map and a Wasm aggregate -> Parquet) verified
row by row, a guest error surfacing with its message, a killed server retried on the other one,
and the README's Ray example run as written.
"""

import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray[data]')")
import wasm_flight  # noqa: E402
import wasm_flight.ray as wfr  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = REPO_ROOT / "scripts" / "wasm-flight"
README = REPO_ROOT / "README.md"
# A mapper waits on its server most of the time: a fraction of a CPU each leaves the 2 CPUs of
# the test cluster to Ray's read and write tasks (whole CPUs for both actors would starve them).
MAPPER_CPUS = 0.25
WORDS = ["arrow", "flight", "wasm", "ray", "parquet", "udf", "é", "zèbre"]


@pytest.fixture(scope="module")
def cluster(examples_dir):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    servers = wfr.start_servers(2, command=[str(SERVER_SCRIPT)])
    try:
        for name in ("line_total", "word_count", "add_one"):
            servers.register(name, examples_dir / f"{name}.wasm")
        yield servers
    finally:
        pids = [i["pid"] for i in ray.get([a.info.remote() for a in servers.actors])]
        servers.shutdown()
        ray.shutdown()
        for pid in pids:
            assert not _alive(pid), f"wasm-flight process {pid} outlived the cluster"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _orders(seed, rows):
    ids = [seed * 100_000 + i for i in range(rows)]
    price = [None if i % 13 == 4 else round(0.25 * ((i * 7 + seed) % 400), 2) for i in range(rows)]
    qty = [None if i % 17 == 9 else (i * 3 + seed) % 50 for i in range(rows)]
    text = [None if i % 19 == 0 else " ".join(WORDS[(i + k * seed) % len(WORDS)]
                                               for k in range(i % 5))
            for i in range(rows)]
    return pa.table({"id": pa.array(ids, pa.int64()), "price": pa.array(price, pa.float64()),
                     "qty": pa.array(qty, pa.int64()), "text": pa.array(text, pa.string())})


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    """Four Parquet files of 3,000 rows each, in several row groups."""
    directory = tmp_path_factory.mktemp("orders")
    tables = [_orders(seed, 3000) for seed in range(1, 5)]
    for seed, table in enumerate(tables, 1):
        pq.write_table(table, directory / f"part-{seed}.parquet", row_group_size=700)
    return directory, pa.concat_tables(tables)


def test_pipeline_parquet_map_and_aggregate_to_parquet(cluster, orders, tmp_path):
    source, table = orders
    ds = ray.data.read_parquet(str(source))
    totals = ds.map_batches(wfr.WasmMapper, batch_format="pyarrow", num_cpus=MAPPER_CPUS,
                            batch_size=1000, compute=ray.data.ActorPoolStrategy(size=2),
                            fn_constructor_kwargs=cluster.mapper("line_total", "line_total"))
    totals.write_parquet(str(tmp_path / "totals"))
    # word_count is an aggregate over its session's input: one exchange per block gives
    # per-block counts, which Ray sums per word.
    counts = (ds.select_columns(["text"])
              .map_batches(wfr.WasmMapper, batch_format="pyarrow", num_cpus=MAPPER_CPUS,
                           compute=ray.data.ActorPoolStrategy(size=2),
                           fn_constructor_kwargs=cluster.mapper("word_count", "word_count"))
              .groupby("word").sum("count"))
    counts.write_parquet(str(tmp_path / "words"))

    got = pq.read_table(tmp_path / "totals").to_pylist()
    assert len(got) == table.num_rows
    by_id = {row["id"]: row["total"] for row in got}
    assert len(by_id) == table.num_rows
    for row in table.to_pylist():
        want = (None if row["price"] is None or row["qty"] is None
                else row["price"] * row["qty"])
        assert by_id[row["id"]] == want, row

    want_words = collections.Counter(
        w for t in table.column("text").to_pylist() if t is not None for w in t.split())
    got_words = {r["word"]: r["sum(count)"] for r in pq.read_table(tmp_path / "words").to_pylist()}
    assert got_words == dict(want_words)


def test_a_guest_error_surfaces_with_the_guests_message(cluster):
    ds = ray.data.from_arrow(pa.table({"s": ["not", "an", "int64"]}))
    out = ds.map_batches(wfr.WasmMapper, batch_format="pyarrow", num_cpus=MAPPER_CPUS,
                         compute=ray.data.ActorPoolStrategy(size=1),
                         fn_constructor_kwargs=cluster.mapper("add_one", "add_one"))
    with pytest.raises(Exception) as excinfo:
        out.take_all()
    text = str(excinfo.value)
    assert "add_one/add_one" in text and "int64" in text, text


def test_a_killed_server_is_retried_on_the_other_one(cluster):
    victim, survivor = cluster.actors
    before = ray.get(victim.info.remote())
    ray.get(victim.kill_server.remote())
    ds = ray.data.from_arrow(pa.table({"x": pa.array(range(40_000), pa.int64())}))
    out = ds.map_batches(wfr.WasmMapper, batch_format="pyarrow", num_cpus=MAPPER_CPUS,
                         batch_size=2_000, compute=ray.data.ActorPoolStrategy(size=2),
                         fn_constructor_kwargs=cluster.mapper("add_one", "add_one"))
    values = sorted(r["x"] for r in out.take_all())
    assert values == list(range(1, 40_001))
    # The supervisor restarted the killed server on its port; its modules are still there.
    address = ray.get(victim.wait_ready.remote(60))
    after = ray.get(victim.info.remote())
    assert after["restarts"] == before["restarts"] + 1 and after["pid"] != before["pid"]
    assert address == before["address"]
    with wasm_flight.connect(address) as client:
        assert "add_one" in [m.name for m in client.list()]
    assert ray.get(survivor.info.remote())["restarts"] == 0


def test_a_server_whose_actor_dies_is_stopped(examples_dir):
    """Ray kills an actor without calling stop(): its Java server must not outlive it."""
    extra = wfr.start_servers(1, command=[str(SERVER_SCRIPT)])
    (actor,) = extra.actors
    pid = ray.get(actor.info.remote())["pid"]
    ray.kill(actor)  # no stop(): the actor process is simply gone
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(pid), f"wasm-flight {pid} outlived its killed actor"


def test_a_mapper_without_any_reachable_server_says_so():
    mapper = wfr.WasmMapper([("n", "grpc://127.0.0.1:1")], "add_one", "add_one", retries=1)
    with pytest.raises(wasm_flight.Unavailable, match="no wasm-flight server answered after 2"):
        mapper(pa.table({"x": [1]}))


def test_the_readme_ray_example_runs_as_written(cluster, tmp_path):
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Scale out on Ray"):]
    section = section[:section.index("\n## ", 1)]
    (block,) = re.findall(r"^```py\n(.*?)^```", section, re.S | re.M)
    script = tmp_path / "readme_ray.py"
    script.write_text(block)
    # Its own driver and Ray instance, from the repository root as the README says.
    done = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert done.stdout.strip().splitlines()[-1] == "5000050000", done.stdout
