"""The pyarrow end-to-end client of the benchmark harness (run by scripts/bench.sh).

Runs the same matrix as the Java client (BenchClient.java) against BenchServer, from a separate
process, plus two optional external baselines, each a separate server process:
  cpp_echo    (--cpp-echo-port) pyarrow's C++ Flight server echoing every batch (echo_server.py),
              for every workload and batch size, verified like echo (output equals input);
  py_rowwise  (--rowwise-port) a Python Flight UDF server evaluating the four maps row by row
              (rowwise_udf_server.py), verified like aot, at most --rowwise-max-rows rows per
              exchange.
For every workload and batch size, one verification exchange per configuration over a
pool of distinct batches (every output checked with pyarrow.compute: a map's batch by batch, a
filter's, table function's or aggregate's as one table), untimed warm-up exchanges for at
least --warmup-seconds and then until the serving JVM's JIT compiler threads have used at most
5% of a core over the last 2 s (at most --warmup-max-seconds; like BenchClient's JitWatch: on
2 cores C2 takes tens of seconds to catch up on a cold cell), then --reps rounds of timed exchanges, one per configuration per round
(interleaved; each checks its output row count, and for a map its batch count). Rates are of
input rows. A second thread reads while the main thread writes. Writes JSON (--out) in the same
shape as the Java client's; a cell's server_cpu_s and server_peak_rss_bytes are of the process
that served it (--server-pid, --cpp-echo-pid, --rowwise-pid; left out without its pid).

Usage: python bench_client.py --port PORT --out FILE [--server-pid PID] [--batch-sizes 1K,64K,1M]
       [--kinds-batch-sizes SIZES] [--reps 3] [--target-seconds 0.5] [--min-batches 2]
       [--max-rows N] [--interp-max-rows N] [--interp-max-batch 65536] [--pool-rows N]
       [--warmup-seconds 0.5] [--warmup-max-seconds 60] [--workloads ...] [--configs ...]
       [--cpp-echo-port P [--cpp-echo-pid PID]] [--rowwise-port P [--rowwise-pid PID]]
       [--rowwise-max-rows 262144]
"""

import argparse
import json
import math
import os
import platform
import random
import sys
import threading
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight

CONFIGS = ["echo", "native", "aot", "interpreter"]
# The external baselines, added when their server's port is given.
BASELINES = ["cpp_echo", "py_rowwise"]
# Configurations whose output is their input.
ECHOES = ("echo", "cpp_echo")
WORKLOADS = ["add_one", "upper", "line_total", "haversine",
             "positive", "split_words", "word_count", "summary"]
# The kind of each workload that is not a map (abi-v1.md section 6).
KINDS = {"positive": "filter", "split_words": "table", "word_count": "aggregate",
         "summary": "aggregate"}
# Largest interpreter batch per workload (Workload.interpreterMaxBatch in Java): the interpreter
# takes about 0.2-1 s per 1K lines of text, 64K lines would near the 30 s call limit.
INTERP_MAX_BATCH = {"split_words": 1024, "word_count": 1024}
EARTH_RADIUS_KM = 6371.0088
ALPHABET = ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123456789 .,-_"
            "éèñøüçåæ")


def rows_arg(text):
    out = []
    for s in text.split(","):
        s = s.strip()
        mult = 1
        if s.endswith("K"):
            mult, s = 1024, s[:-1]
        elif s.endswith("M"):
            mult, s = 1024 * 1024, s[:-1]
        out.append(int(s) * mult)
    return out


# --- data -----------------------------------------------------------------------------------

def _rand(n, seed):
    return pc.random(n, initializer=seed)


def _with_nulls(values, n, seed, fraction):
    mask = pc.less(_rand(n, seed), fraction)
    return pc.if_else(mask, pa.scalar(None, values.type), values)


_VOCABULARY = []


def vocabulary():
    """4096 distinct words of 2-9 letters, mostly ASCII, a few with 2-byte letters."""
    if not _VOCABULARY:
        r = random.Random(7)
        letters = "abcdefghijklmnopqrstuvwxyz" * 2 + "éøå"
        words = {}
        while len(words) < 4096:
            words["".join(r.choice(letters) for _ in range(r.randint(2, 9)))] = None
        _VOCABULARY.extend(words)
    return _VOCABULARY


def lines(rows, seed):
    """Lines of 0-8 words (one space apart, sometimes two or a tab, sometimes leading or
    trailing space), drawn from a pool of 4096 lines; ~5% nulls."""
    r = random.Random(seed)
    vocab = vocabulary()
    pool = []
    for _ in range(4096):
        parts = [" "] if r.randrange(10) == 0 else []
        for j in range(r.randrange(9)):
            if j:
                sep = r.randrange(10)
                parts.append("  " if sep == 0 else "\t" if sep == 1 else " ")
            parts.append(r.choice(vocab))
        if r.randrange(10) == 0:
            parts.append(" ")
        pool.append("".join(parts))
    idx = pc.cast(pc.floor(pc.multiply(_rand(rows, seed), 4096.0)), pa.int32())
    s = pa.array(pool, pa.string()).take(idx)
    return pa.record_batch([_with_nulls(s, rows, seed + 1, 0.05)], names=["line"])


def generate(workload, rows, seed):
    """A batch of `rows` rows; same seed, same batch."""
    if workload in ("add_one", "positive"):
        x = pc.cast(pc.floor(pc.multiply(pc.subtract(pc.multiply(_rand(rows, seed), 2.0), 1.0),
                                          1e12)), pa.int64())
        return pa.record_batch([_with_nulls(x, rows, seed + 1, 0.1)], names=["x"])
    if workload == "upper":
        r = random.Random(seed)
        pool = []
        for _ in range(4096):
            max_bytes = r.randrange(65)
            s, size = [], 0
            while True:
                c = r.choice(ALPHABET)
                w = 1 if ord(c) < 0x80 else 2
                if size + w > max_bytes:
                    break
                s.append(c)
                size += w
            pool.append("".join(s))
        idx = pc.cast(pc.floor(pc.multiply(_rand(rows, seed), 4096.0)), pa.int32())
        s = pa.array(pool, pa.string()).take(idx)
        return pa.record_batch([_with_nulls(s, rows, seed + 1, 0.1)], names=["s"])
    if workload == "line_total":
        base = random.Random(seed).randrange(1 << 40)
        ids = pa.array(range(base, base + rows), pa.int64())
        price = pc.divide(pc.floor(pc.multiply(_rand(rows, seed), 100000.0)), 100.0)
        qty = pc.cast(pc.add(pc.floor(pc.multiply(_rand(rows, seed + 1), 100.0)), 1.0),
                      pa.int64())
        return pa.record_batch(
            [ids, _with_nulls(price, rows, seed + 2, 0.1), _with_nulls(qty, rows, seed + 3, 0.1)],
            names=["id", "price", "qty"])
    if workload == "haversine":
        cols = []
        for c in range(4):
            span = 90.0 if c % 2 == 0 else 180.0
            v = pc.subtract(pc.multiply(_rand(rows, seed + 10 * c), 2 * span), span)
            cols.append(_with_nulls(v, rows, seed + 10 * c + 1, 0.05))
        return pa.record_batch(cols, names=["lat1", "lon1", "lat2", "lon2"])
    if workload in ("split_words", "word_count"):
        return lines(rows, seed)
    if workload == "summary":
        v = pc.subtract(pc.multiply(_rand(rows, seed), 2000.0), 1000.0)
        return pa.record_batch([_with_nulls(v, rows, seed + 1, 0.1)], names=["v"])
    raise ValueError(workload)


# --- verification (pyarrow.compute) ---------------------------------------------------------

def _radians(x):
    return pc.multiply(x, math.pi / 180.0)


def expected(workload, b):
    if workload == "add_one":
        return pa.record_batch([pc.add(b.column(0), 1)], names=["x"])
    if workload == "upper":
        return pa.record_batch([pc.utf8_upper(b.column(0))], names=["s"])
    if workload == "line_total":
        total = pc.multiply(b.column("price"), pc.cast(b.column("qty"), pa.float64()))
        return pa.record_batch([b.column("id"), total], names=["id", "total"])
    if workload == "haversine":
        lat1, lon1, lat2, lon2 = (b.column(n) for n in ("lat1", "lon1", "lat2", "lon2"))
        s_lat = pc.sin(pc.divide(_radians(pc.subtract(lat2, lat1)), 2.0))
        s_lon = pc.sin(pc.divide(_radians(pc.subtract(lon2, lon1)), 2.0))
        a = pc.add(pc.multiply(s_lat, s_lat),
                   pc.multiply(pc.multiply(pc.multiply(pc.cos(_radians(lat1)),
                                                       pc.cos(_radians(lat2))), s_lon), s_lon))
        km = pc.multiply(pc.asin(pc.min_element_wise(pc.sqrt(a), 1.0, skip_nulls=False)),
                         2 * EARTH_RADIUS_KM)
        return pa.record_batch([km], names=["km"])
    raise ValueError(workload)


def verify_batch(workload, config, inp, out):
    """A map's (or echo's) batch: None when `out` is right for `inp`, else what is wrong."""
    if config in ECHOES:
        return None if out.equals(inp) else "echo output differs from its input"
    want = expected(workload, inp)
    if out.schema.names != want.schema.names:
        return f"output columns {out.schema.names}, expected {want.schema.names}"
    for i, name in enumerate(want.schema.names):
        got, exp = out.column(i), want.column(i)
        if got.type != exp.type:
            return f"column {name} is {got.type}, expected {exp.type}"
        if workload == "haversine":
            if not pc.is_null(got).equals(pc.is_null(exp)):
                return "km nulls differ"
            err = pc.max(pc.divide(pc.abs(pc.subtract(got, exp)),
                                   pc.max_element_wise(exp, 1.0))).as_py()
            if err is not None and err > 1e-9:
                return f"km differs by a relative {err}"
        elif not got.equals(exp):
            diff = pc.index(pc.fill_null(pc.equal(got, exp), False), False).as_py()
            return (f"column {name} differs at row {diff}: expected {exp[diff]}, "
                    f"got {got[diff]}")
    return None


def stream(pool, n):
    """The input batches of an exchange of `n` batches."""
    return [pool[i % len(pool)] for i in range(n)]


def split_words(b):
    """(row, word) of every whitespace-separated word of a batch's line column."""
    lists = pc.utf8_split_whitespace(b.column(0))
    words = pc.list_flatten(lists)
    keep = pc.greater(pc.utf8_length(words), 0)  # Arrow yields "" around leading/trailing space
    rows = pc.cast(pc.filter(pc.list_parent_indices(lists), keep), pa.int32())
    return rows, pc.filter(words, keep)


SPLIT_WORDS = pa.schema([pa.field("row", pa.int32(), False), pa.field("word", pa.string())])
WORD_COUNT = pa.schema([pa.field("word", pa.string(), False), pa.field("count", pa.int64(), False)])
SUMMARY = pa.schema([pa.field("count", pa.int64(), False), pa.field("min", pa.float64()),
                     pa.field("max", pa.float64()), pa.field("mean", pa.float64())])


def word_counts(batches):
    words = pa.chunked_array([split_words(b)[1] for b in batches], pa.string())
    t = pa.table({"word": words}).group_by("word").aggregate([("word", "count")])
    t = t.sort_by("word")  # bytewise, as the guest sorts
    return pa.Table.from_arrays([t.column("word"), t.column("word_count")], schema=WORD_COUNT)


def expected_stream(workload, batches):
    """The whole output of a filter, table or aggregate workload over `batches`, as a table."""
    if workload == "positive":
        return pa.Table.from_batches([b.filter(pc.greater(b.column(0), 0)) for b in batches],
                                     schema=batches[0].schema)
    if workload == "split_words":
        parts = [split_words(b) for b in batches]
        return pa.Table.from_arrays(
            [pa.chunked_array([r for r, _ in parts], pa.int32()),
             pa.chunked_array([w for _, w in parts], pa.string())], schema=SPLIT_WORDS)
    if workload == "word_count":
        return word_counts(batches)
    if workload == "summary":
        v = pa.chunked_array([b.column(0) for b in batches])
        count = pc.count(v).as_py()
        mean = pc.sum(v).as_py() / count if count else None
        return pa.Table.from_pylist([{"count": count, "min": pc.min(v).as_py(),
                                      "max": pc.max(v).as_py(), "mean": mean}], schema=SUMMARY)
    raise ValueError(workload)


def expected_rows(workload, pool, n):
    """Output rows of an exchange of `n` batches (what a timed run checks)."""
    if workload not in KINDS:
        return sum(b.num_rows for b in stream(pool, n))
    if workload == "word_count":
        return word_counts(pool[:min(n, len(pool))]).num_rows
    if workload == "summary":
        return 1
    return expected_stream(workload, pool).num_rows * (n // len(pool)) + (
        expected_stream(workload, pool[:n % len(pool)]).num_rows if n % len(pool) else 0)


def compare_tables(workload, got, want):
    """None when the output table equals the expected one, else the first difference."""
    if not got.schema.equals(want.schema):
        return f"output schema {got.schema}, expected {want.schema}"
    if got.num_rows != want.num_rows:
        return f"{got.num_rows} output rows, expected {want.num_rows}"
    for name in want.schema.names:
        g, e = got.column(name).combine_chunks(), want.column(name).combine_chunks()
        if workload == "summary" and name == "mean" and e[0].is_valid:
            if g[0].is_valid and abs(g[0].as_py() - e[0].as_py()) <= 1e-9 * abs(e[0].as_py()):
                continue  # pyarrow sums pairwise, the guest in input order
        elif g.equals(e):
            continue
        diff = pc.index(pc.fill_null(pc.equal(g, e), False), False).as_py()
        return f"column {name} differs at row {diff}: expected {e[diff]}, got {g[diff]}"
    return None


class Check:
    """Checks one exchange's output as it arrives: a map's (or echo's) batch by batch, the other
    kinds' as one table at the end, whatever its batch boundaries."""

    def __init__(self, workload, config, pool, n):
        self.workload, self.config, self.pool, self.n = workload, config, pool, n
        self.batchwise = config in ECHOES or workload not in KINDS
        self.seen = 0
        self.got = []

    def next(self, b):
        if not self.batchwise:
            self.got.append(b)
            return None
        inp = self.pool[self.seen % len(self.pool)]
        self.seen += 1
        if b.num_rows != inp.num_rows:
            return f"batch {self.seen - 1}: {b.num_rows} rows for {inp.num_rows}"
        err = verify_batch(self.workload, self.config, inp, b)
        return f"batch {self.seen - 1}: {err}" if err else None

    def end(self, schema):
        if self.batchwise:
            return None if self.seen == self.n else f"{self.seen} output batches for {self.n}"
        got = pa.Table.from_batches(self.got, schema=schema)
        return compare_tables(self.workload, got,
                              expected_stream(self.workload, stream(self.pool, self.n)))


# --- exchanges ------------------------------------------------------------------------------

def descriptor(workload, config):
    if config in ECHOES:  # the C++ echo server takes any descriptor
        return flight.FlightDescriptor.for_path("bench", "echo")
    if config == "py_rowwise":
        return flight.FlightDescriptor.for_path(workload)
    if config == "native":
        return flight.FlightDescriptor.for_path("bench_native", workload)
    cmd = {"module": "bench_" + workload, "function": workload, "engine": config}
    return flight.FlightDescriptor.for_command(json.dumps(cmd).encode())


def exchange(client, desc, workload, config, pool, n, verify, out_rows=None):
    """One DoExchange of `n` batches cycled from `pool`: every output row checked when `verify`,
    else the output row count (`out_rows`) and for a map or echo the batch count. Returns
    (input rows, input batches, output rows, seconds)."""
    check = Check(workload, config, pool, n) if verify else None
    batchwise = config in ECHOES or workload not in KINDS
    t0 = time.perf_counter()
    writer, reader = client.do_exchange(desc)
    got = {"rows": 0, "batches": 0, "error": None}

    def read():
        try:
            while True:
                try:
                    chunk = reader.read_chunk()
                except StopIteration:
                    break
                b = chunk.data
                err = check.next(b) if check else None
                if err:
                    raise RuntimeError(f"wrong result: {err}")
                got["rows"] += b.num_rows
                got["batches"] += 1
            err = check.end(reader.schema) if check else None
            if err:
                raise RuntimeError(f"wrong result: {err}")
        except BaseException as e:  # reported by the writer side
            got["error"] = e

    t = threading.Thread(target=read, daemon=True)
    t.start()
    sent = 0
    try:
        writer.begin(pool[0].schema)
        for i in range(n):
            if got["error"] is not None:
                break
            b = pool[i % len(pool)]
            writer.write_batch(b)
            sent += b.num_rows
        writer.done_writing()
    except BaseException as e:
        t.join(60)
        raise got["error"] or e
    t.join()
    writer.close()
    seconds = time.perf_counter() - t0
    if got["error"] is not None:
        raise got["error"]
    if batchwise and (got["rows"] != sent or got["batches"] != n) or (
            not batchwise and out_rows is not None and got["rows"] != out_rows):
        raise RuntimeError(f"sent {n} batches ({sent} rows), got {got['batches']} batches "
                           f"({got['rows']} rows" + ("" if batchwise else
                                                      f", expected {out_rows} rows") + ")")
    return sent, n, got["rows"], seconds


def peak_rss(pid, reset):
    if not pid:
        return None
    try:
        if reset:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
            return None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (see ProcStatus.cpuSeconds), or None."""
    if not pid:
        return None
    try:
        return _cpu_ticks(f"/proc/{pid}/stat") / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_ticks(stat_path):
    """utime + stime clock ticks of a process's or thread's stat file."""
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def compiler_cpu_seconds(pid):
    """CPU seconds of a JVM's JIT compiler threads so far (see ProcStatus.compilerCpuSeconds):
    0 for a process that is not a HotSpot JVM, None when unreadable."""
    if not pid:
        return None
    tck = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                if "CompilerThre" not in f.read():
                    continue
            total += _cpu_ticks(f"/proc/{pid}/task/{t}/stat")
        except (OSError, ValueError, IndexError):
            continue  # the thread ended (HotSpot retires idle compiler threads)
    return total / tck


class JitWatch:
    """Whether a JVM's JIT compilers went quiet: their share of a core over the last WINDOW s."""
    WINDOW, QUIET = 2.0, 0.05

    def __init__(self, pid):
        self.pid, self.samples = pid, []

    def sample(self):
        c = compiler_cpu_seconds(self.pid)
        self.samples.append((time.perf_counter(), c or 0.0))

    def share(self):
        if not self.samples:
            return None
        now, c_now = self.samples[-1]
        older = [s for s in self.samples if now - s[0] >= self.WINDOW]
        if not older:
            return None
        t0, c0 = older[-1]
        self.samples = self.samples[self.samples.index(older[-1]):]
        return (c_now - c0) / (now - t0)

    def quiet(self):
        s = self.share()
        return s is not None and s <= self.QUIET


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--server-pid", default="")
    p.add_argument("--batch-sizes", default="1K,64K,1M")
    p.add_argument("--kinds-batch-sizes", default=None,
                   help="sizes for the filter, table and aggregate workloads (--batch-sizes)")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--target-seconds", type=float, default=0.5)
    p.add_argument("--min-batches", type=int, default=2)
    p.add_argument("--max-rows", type=int, default=64 << 20)
    p.add_argument("--interp-max-rows", type=int, default=256 << 10)
    p.add_argument("--interp-max-batch", type=int, default=65536)
    p.add_argument("--pool-rows", type=int, default=1 << 20)
    p.add_argument("--warmup-seconds", type=float, default=0.5)
    p.add_argument("--warmup-max-seconds", type=float, default=60.0)
    p.add_argument("--cpp-echo-port", type=int, default=None,
                   help="port of echo_server.py: adds the cpp_echo configuration")
    p.add_argument("--cpp-echo-pid", default="")
    p.add_argument("--rowwise-port", type=int, default=None,
                   help="port of rowwise_udf_server.py: adds py_rowwise (maps only)")
    p.add_argument("--rowwise-pid", default="")
    p.add_argument("--rowwise-max-rows", type=int, default=256 << 10)
    a = p.parse_args()

    # Per configuration: its server's port and pid (CPU and peak RSS), and its rows per exchange.
    ports = {"cpp_echo": a.cpp_echo_port, "py_rowwise": a.rowwise_port}
    pids = {"cpp_echo": a.cpp_echo_pid, "py_rowwise": a.rowwise_pid}
    max_rows = {"interpreter": a.interp_max_rows, "py_rowwise": a.rowwise_max_rows}
    all_configs = a.configs.split(",")
    for c in BASELINES:
        if ports[c] is not None and c not in all_configs:
            all_configs.append(c)
    for c in all_configs:
        if c in BASELINES and ports[c] is None:
            flag = "--cpp-echo-port" if c == "cpp_echo" else "--rowwise-port"
            p.error(f"configuration {c} needs its server's port ({flag})")
    # One client per server: the Java server's configurations share one, as before.
    java = flight.connect(f"grpc://127.0.0.1:{a.port}")
    clients = {c: flight.connect(f"grpc://127.0.0.1:{ports[c]}") if c in BASELINES else java
               for c in all_configs}
    result = {"client": "pyarrow", "pyarrow_version": pa.__version__,
              "python_version": platform.python_version(), "cells": []}

    def write():
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)

    for workload in a.workloads.split(","):
        sizes = a.kinds_batch_sizes if workload in KINDS and a.kinds_batch_sizes else a.batch_sizes
        interp_max = min(a.interp_max_batch, INTERP_MAX_BATCH.get(workload, a.interp_max_batch))
        for batch_rows in rows_arg(sizes):
            n_pool = max(1, min(16, a.pool_rows // batch_rows))
            pool = [generate(workload, batch_rows, 1000 * batch_rows + i) for i in range(n_pool)]
            bytes_per_row = sum(b.nbytes for b in pool) / (n_pool * batch_rows)
            configs = [c for c in all_configs
                       if (c != "interpreter" or batch_rows <= interp_max)
                       and (c != "py_rowwise" or workload not in KINDS)]
            cells, plan = [], {}
            known_rows = {}

            def rows_out(config, n, workload=workload, pool=pool, known=known_rows):
                """Expected output rows of a filter, table or aggregate (None: batchwise)."""
                if config in ECHOES or workload not in KINDS:
                    return None
                if n not in known:
                    known[n] = expected_rows(workload, pool, n)
                return known[n]
            # Verify, then warm up (by time), each configuration.
            for config in configs:
                cap = max(1, max_rows.get(config, a.max_rows) // batch_rows)

                def batches_for(rate, cap=cap):
                    n = math.ceil(a.target_seconds * rate / batch_rows)
                    return max(min(n, cap), min(a.min_batches, cap))

                cell = {"client": "pyarrow", "workload": workload, "config": config,
                        "batch_rows": batch_rows, "bytes_per_row": bytes_per_row}
                cells.append(cell)
                desc, client = descriptor(workload, config), clients[config]
                try:
                    rows, _, out_rows, secs = exchange(client, desc, workload, config, pool,
                                                       min(n_pool, cap), True)
                    cell["verified"] = True
                    cell["verified_rows"] = rows
                    cell["verified_output_rows"] = out_rows
                    # Warm up for at least --warmup-seconds, then until the serving JVM's JIT
                    # went quiet, at most --warmup-max-seconds (none at 0: the check run sizes
                    # the timed runs).
                    start = time.perf_counter()
                    jit = JitWatch(pids.get(config, a.server_pid))
                    jit.sample()
                    while a.warmup_seconds > 0:
                        n = batches_for(rows / secs)
                        rows, _, _, secs = exchange(client, desc, workload, config, pool, n, False,
                                                    rows_out(config, n))
                        jit.sample()
                        elapsed = time.perf_counter() - start
                        quiet = jit.quiet()
                        if elapsed >= a.warmup_seconds and quiet or elapsed >= a.warmup_max_seconds:
                            cell["warmup_seconds"] = elapsed
                            cell["warmup_jit_quiet"] = quiet
                            break
                    n = batches_for(rows / secs)
                    plan[config] = (desc, n, rows_out(config, n))
                    cell["runs"] = []
                except Exception as e:  # noqa: BLE001 - reported in the results
                    cell["verified"] = False
                    cell["error"] = str(e)
            # Timed runs, interleaved across configurations.
            for _ in range(a.reps):
                for cell in cells:
                    if not cell["verified"]:
                        continue
                    config = cell["config"]
                    desc, n, out_rows = plan[config]
                    pid = pids.get(config, a.server_pid)
                    peak_rss(pid, reset=True)
                    try:
                        cpu, jit = cpu_seconds(pid), compiler_cpu_seconds(pid)
                        rows, batches, got_rows, secs = exchange(clients[config], desc, workload,
                                                                 config, pool, n, False, out_rows)
                        rate = rows / secs
                        run = {"rows": rows, "batches": batches, "output_rows": got_rows,
                               "seconds": secs, "rows_per_s": rate,
                               "mb_per_s": rate * bytes_per_row / 1e6}
                        if cpu is not None:
                            run["server_cpu_s"] = cpu_seconds(pid) - cpu
                        if jit is not None:
                            run["server_jit_cpu_s"] = compiler_cpu_seconds(pid) - jit
                        cell["runs"].append(run)
                    except Exception as e:  # noqa: BLE001 - reported in the results
                        cell["verified"] = False
                        cell["error"] = str(e)
                    rss = peak_rss(pid, reset=False)
                    if rss is not None:
                        cell["server_peak_rss_bytes"] = max(rss,
                                                            cell.get("server_peak_rss_bytes", 0))
            for cell in cells:
                if cell["verified"] and cell["runs"]:
                    rates = [r["rows_per_s"] for r in cell["runs"]]
                    line = (f"{median(rates) / 1e6:.3g} Mrows/s [{min(rates) / 1e6:.3g}-"
                            f"{max(rates) / 1e6:.3g}], "
                            f"{median(rates) * bytes_per_row / 1e6:.3g} MB/s")
                else:
                    line = "FAILED: " + cell.get("error", "not verified")
                print(f"py    {workload:<10} {cell['config']:<11} {batch_rows:8d} rows/batch: "
                      f"{line}", flush=True)
                result["cells"].append(cell)
            write()
    result["complete"] = True
    write()
    java.close()
    for c in BASELINES:
        if c in clients:
            clients[c].close()


if __name__ == "__main__":
    sys.exit(main())
