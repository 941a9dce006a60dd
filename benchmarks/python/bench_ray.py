"""Ray scale-out benchmark: rows/s of a Wasm map through wasm_flight.ray with 1 and 2 servers
(proto-docs/ray.md, "Benchmark").

One local Ray cluster (``--cpus``, default 2); per server count, the servers are started as
actors, the module registered on all, and the same dataset (``--rows`` int64 rows in
``--blocks`` blocks, materialized in the object store first so that only the map is timed) goes
through ``map_batches(WasmMapper, compute=ActorPoolStrategy(size=<mappers>))``; every output
value is checked. Each
configuration runs ``--reps`` times after one untimed run; the median and range are printed as
a table, and written as JSON with ``--out``.

Usage (from the repository root, after ./run-tests.sh or guest-sdk-rust/build-examples.sh):
    .venv/bin/python benchmarks/python/bench_ray.py [--rows 4000000] [--blocks 16] [--reps 3]
        [--function add_one] [--wasm guest-sdk-rust/target/wasm-examples/add_one.wasm]
        [--quick] [--out results.json]

``--quick`` runs one small configuration of each kind once, only to check that it works.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa
import ray

import wasm_flight.ray as wfr

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_once(ds, cluster, module, function, mappers, rows):
    started = time.perf_counter()
    out = ds.map_batches(wfr.WasmMapper, batch_format="pyarrow",
                         compute=ray.data.ActorPoolStrategy(size=mappers), num_cpus=0.25,
                         fn_constructor_kwargs=cluster.mapper(module, function))
    total = out.sum("x")
    seconds = time.perf_counter() - started
    want = rows * (rows + 1) // 2  # add_one over 0..rows-1
    if total != want:
        raise AssertionError(f"wrong result: sum {total}, expected {want}")
    return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=4_000_000)
    p.add_argument("--blocks", type=int, default=16)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--function", default="add_one")
    p.add_argument("--wasm", default=str(REPO_ROOT / "guest-sdk-rust" / "target" /
                                         "wasm-examples" / "add_one.wasm"))
    p.add_argument("--server", default=str(REPO_ROOT / "scripts" / "wasm-flight"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out")
    a = p.parse_args()
    if a.quick:
        a.rows, a.blocks, a.reps = 200_000, 4, 1
    ray.init(num_cpus=a.cpus, include_dashboard=False, log_to_driver=False)
    ds = ray.data.from_arrow(pa.table({"x": pa.array(range(a.rows), pa.int64())}))
    ds = ds.repartition(a.blocks).materialize()
    results = []
    try:
        for servers in (1, 2):
            cluster = wfr.start_servers(servers, command=[a.server])
            try:
                cluster.register(a.function, a.wasm)
                mappers = 2 * servers
                run_once(ds, cluster, a.function, a.function, mappers, a.rows)  # warm-up
                times = [run_once(ds, cluster, a.function, a.function, mappers, a.rows)
                         for _ in range(a.reps)]
            finally:
                cluster.shutdown()
            rates = sorted(a.rows / t for t in times)
            results.append({"servers": servers, "mappers": mappers, "rows": a.rows,
                            "blocks": a.blocks, "seconds": times,
                            "rows_per_s_median": statistics.median(rates),
                            "rows_per_s_min": rates[0], "rows_per_s_max": rates[-1]})
    finally:
        ray.shutdown()
    base = results[0]["rows_per_s_median"]
    print(f"Ray scale-out: {a.function}, {a.rows:,} int64 rows in {a.blocks} blocks, "
          f"{a.cpus} Ray CPUs, {os.cpu_count()} cores ({platform.machine()}), "
          f"median of {a.reps}{' (quick mode: timings meaningless)' if a.quick else ''}")
    print("| servers | mappers | Mrows/s | range | × 1 server |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['servers']} | {r['mappers']} | {r['rows_per_s_median'] / 1e6:.2f} | "
              f"{r['rows_per_s_min'] / 1e6:.2f}-{r['rows_per_s_max'] / 1e6:.2f} | "
              f"{r['rows_per_s_median'] / base:.2f}× |")
    if a.out:
        Path(a.out).write_text(json.dumps({"quick": a.quick, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
