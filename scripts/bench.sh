#!/usr/bin/env bash
# Benchmark harness: echo vs native Java vs Wasm AOT vs Wasm interpreter, end to end over Flight
# (a Java FlightClient in its own JVM and a pyarrow client in its own process) for four maps and
# the other kinds (a filter, a table function, two aggregates), plus kernel-only timings of the
# maps (Chicory AOT, Chicory interpreter, plain Java, and Node's WebAssembly on the same .wasm)
# and per-session setup costs. The pyarrow client also measures two external baselines in the
# same run, each a separate Python process on the same data: cpp_echo, pyarrow's C++ Flight server
# echoing every batch (benchmarks/python/echo_server.py; the transport ceiling next to our echo),
# and py_rowwise, a Python Flight UDF server evaluating the four maps row by row like RisingWave's
# and Databend's Python UDF servers (benchmarks/python/rowwise_udf_server.py). Writes results.md,
# results.json and PNG charts to results/bench-<timestamp>/ and copies them to results/latest/.
#
# Usage: scripts/bench.sh [--quick] [--no-build] [--workloads LIST]
#   (default)   full mode: batch sizes 1K, 64K, 1M; 5 timed runs per configuration (Java
#               client), 3 (pyarrow), 5 kernel repetitions; about 30-45 minutes on 2 cores
#   --quick     smoke mode (CI): every configuration runs once on a few batches and is verified,
#               then once more timed (no warm-up); the filter, table and aggregate workloads at
#               1K and 64K rows only; timings are recorded but meaningless; a few minutes
#   --no-build  use the already built benchmarks module (e.g. right after `mvn verify`)
#   --workloads LIST  only these workloads (comma-separated; kernel-only runs the maps among them)
#
# Exits non-zero when any configuration produced a wrong result or failed; the last line is
# `bench: N passed, M failed`. Timings are never asserted.
#
# Needs: JDK 21+, Maven, Rust with the wasm32 target (installed if missing), node, python3 (the
# project venv .venv with pyarrow is created if missing; WF_BENCH_PYTHON overrides the python).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mode=full
build=1
workloads=add_one,upper,line_total,haversine,positive,split_words,word_count,summary
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --no-build) build=0 ;;
    --workloads) workloads="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) wf_die "unknown option $1 (see --help)" ;;
  esac
  shift
done

started_epoch="$(date +%s)"
git_head="$(git -C "$WF_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git_dirty="$(git -C "$WF_ROOT" status --porcelain 2>/dev/null | wc -l | tr -d ' ')"
wf_find_jdk
cd "$WF_ROOT"
command -v node >/dev/null 2>&1 || wf_die "node is required for the kernel-only reference"

if [ "$mode" = quick ]; then
  sizes=1K,64K,1M; kind_sizes=1K,64K
  java_reps=1; java_target=0; py_reps=1; py_target=0; min_batches=1
  warmup=0; global_warmup=0
  max_rows=$((64 << 20)); interp_max_rows=1024; interp_max_batch=1024; pool_rows=1
  rowwise_max_rows=$((256 << 10))
  kernel_reps=1; kernel_target=0.01; kernel_warmup=0.005; sessions=10
  kernel_sizes=1K,64K; breakdown=0
else
  sizes=1K,64K,1M; kind_sizes=$sizes
  java_reps=5; java_target=1.0; py_reps=3; py_target=0.5; min_batches=2
  warmup=1.5; global_warmup=12
  max_rows=$((64 << 20)); interp_max_rows=$((128 << 10)); interp_max_batch=65536
  rowwise_max_rows=$((256 << 10))
  pool_rows=$((1 << 20)); kernel_reps=5; kernel_target=0.5; kernel_warmup=1.0; sessions=200
  kernel_sizes=$sizes; breakdown=1
fi

guests="$WF_ROOT/benchmarks/target/wasm-guests"
dump="$WF_ROOT/benchmarks/target/bench-dump"
if [ "$build" = 1 ]; then
  wf_require_maven
  wf_log "building the benchmarks module (JDK $WF_JAVA_MAJOR)"
  mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl benchmarks -am package
fi
cp="$(wf_bench_classpath)"
wf_log "building the Rust guests into $guests"
bash guest-sdk-rust/build-examples.sh "$guests" >/dev/null

if [ -n "${WF_BENCH_PYTHON:-}" ]; then
  python="$WF_BENCH_PYTHON"
else
  wf_ensure_venv
  python="$WF_ROOT/.venv/bin/python"
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$WF_ROOT/results/bench-$stamp"
mkdir -p "$out"
rm -rf "$dump"
mkdir -p "$dump"
mapfile -t jvm < <(wf_jvm_flags)
jvm+=(-Xmx4g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

# meta.json: what ran where and how.
"$python" - "$out/meta.json" <<EOF
import json, os, platform, sys
import pyarrow
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
mem = "?"
try:
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = "%.0f GiB" % (int(line.split()[1]) / 1048576)
except OSError:
    pass
cores = os.cpu_count()
meta = {
    "mode": "$mode", "started_at": "$stamp", "started_epoch_s": $started_epoch,
    "machine": f"{cores} cores ({cpu}), {mem} RAM, Linux {platform.release()}",
    "machine_short": f"{cores} cores, {mem}",
    "git": {"head": "$git_head", "uncommitted_paths": int("${git_dirty:-0}")},
    "params": {"workloads": "$workloads", "batch_sizes": "$sizes",
               "kinds_batch_sizes": "$kind_sizes",
               "java_reps": $java_reps, "java_target_s": $java_target,
               "pyarrow_reps": $py_reps, "pyarrow_target_s": $py_target,
               "min_batches": $min_batches, "warmup_s": $warmup,
               "global_warmup_s": $global_warmup, "max_rows_per_run": $max_rows,
               "interpreter_max_rows_per_run": $interp_max_rows,
               "interpreter_max_batch": $interp_max_batch, "pool_rows": $pool_rows,
               "rowwise_max_rows_per_run": $rowwise_max_rows,
               "kernel_reps": $kernel_reps, "kernel_target_s": $kernel_target,
               "kernel_warmup_s": $kernel_warmup, "kernel_batch_sizes": "$kernel_sizes",
               "sessions": $sessions, "jvm_flags": "${jvm[*]}"},
    # The external baselines' servers run on this python (the pyarrow client's).
    "baseline_servers": {
        "cpp_echo": f"benchmarks/python/echo_server.py: pyarrow {pyarrow.__version__} "
                    f"FlightServerBase (Arrow C++ Flight), Python {platform.python_version()}",
        "py_rowwise": f"benchmarks/python/rowwise_udf_server.py: pyarrow {pyarrow.__version__}, "
                      f"Python {platform.python_version()}"},
    "method": (
        "Server, Java client, kernel-only JVM, pyarrow client and Node run one after another on "
        "this machine (server and client share its cores). Per configuration and batch size: "
        "one exchange over a pool of distinct batches whose every output row is verified "
        "(Java: against values computed in Java; pyarrow: with pyarrow.compute), untimed warm-up "
        "exchanges for at least $warmup s (after a $global_warmup s JIT warm-up of both JVMs) "
        "and then until the JIT compiler threads of the serving JVM (and of the Java client) "
        "used at most 5% of a core over the last 2 s, at most 60 s (a cold cell needs ~30 s on "
        "2 cores; each cell's warmup_seconds and warmup_jit_quiet are in results.json), then "
        "timed exchanges of about $java_target s (Java client, $java_reps runs) / "
        "$py_target s (pyarrow, $py_reps runs), interleaved across configurations, from opening "
        "the DoExchange to reading the last row, while a second thread writes. Medians with "
        "[min-max]. Rows/s and MB/s are of the input: rows, and Arrow buffer bytes (validity, "
        "offsets, data), per second; the filter, table and aggregate workloads (batch sizes "
        "$kind_sizes) are checked over their whole output stream, whatever its batch "
        "boundaries. The interpreter runs at most "
        "$interp_max_rows rows per exchange and no batch over $interp_max_batch rows (it is "
        "100-500x slower; split_words and word_count: no batch over 1024 rows). The pyarrow "
        "client also runs two external baselines, each its own Python process started with the "
        "client's pyarrow, through the same verification, warm-up and interleaved timed runs: "
        "cpp_echo, pyarrow's C++ Flight server (FlightServerBase) echoing every batch as it "
        "arrives (every workload and batch size, verified like echo), and py_rowwise, a Python "
        "Flight UDF server evaluating the four maps row by row as RisingWave's and Databend's "
        "Python UDF servers do (to_pylist, a Python function per row, pa.array), verified like "
        "AOT, at most $rowwise_max_rows rows per exchange; their server CPU and peak RSS are of "
        "their own processes. Kernel-only "
        "(maps): one batch written once into guest memory by the "
        "server's InputWriter, then repeated calls (zero output slots, call, wf_release) for "
        "about $kernel_target s x $kernel_reps repetitions after a warm-up (until the rate settled and "
        "the JVM's JIT compilers went quiet); Node runs the same "
        ".wasm on the same bytes and must produce the same output checksum."),
}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF

# Stops the three servers this run started (each: TERM, then KILL after 10 s).
stop_servers() {
  wf_stop_pid "$server_pid"; wf_stop_pid "$echo_pid"; wf_stop_pid "$rowwise_pid"
  server_pid=""; echo_pid=""; rowwise_pid=""
}
trap stop_servers EXIT
trap 'stop_servers; exit 130' INT TERM

wf_log "mode $mode: results go to $out"
data_dir="$(mktemp -d)"
# Created here: the background job opens its redirect only once it runs, and under load the
# port poll below could otherwise read a file that does not exist yet (set -e would stop there).
: >"$out/server.log"
"$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$cp" io.wasmflight.bench.BenchServer \
  --wasm-dir "$guests" --data-dir "$data_dir" --info-file "$out/server.json" \
  >"$out/server.log" 2>&1 &
server_pid=$!
port="$(wf_wait_port bench-server "$out/server.log" "$server_pid")"
wf_log "server pid $server_pid on port $port"
# The external baselines of the pyarrow client, started now so that a failure shows before the
# Java client's run; idle until then.
: >"$out/echo-server.log"
"$python" benchmarks/python/echo_server.py >"$out/echo-server.log" 2>&1 &
echo_pid=$!
: >"$out/rowwise-server.log"
"$python" benchmarks/python/rowwise_udf_server.py >"$out/rowwise-server.log" 2>&1 &
rowwise_pid=$!
echo_port="$(wf_wait_port echo-server "$out/echo-server.log" "$echo_pid")"
rowwise_port="$(wf_wait_port rowwise-server "$out/rowwise-server.log" "$rowwise_pid")"
wf_log "baselines: C++ echo server pid $echo_pid on port $echo_port, row-wise Python UDF server pid $rowwise_pid on port $rowwise_port"

common=(--workloads "$workloads" --batch-sizes "$sizes" --kinds-batch-sizes "$kind_sizes"
  --min-batches "$min_batches"
  --max-rows "$max_rows" --interp-max-rows "$interp_max_rows" --interp-max-batch "$interp_max_batch"
  --pool-rows "$pool_rows" --warmup-seconds "$warmup" --server-pid "$server_pid")

wf_log "end to end, Java FlightClient (separate JVM)"
"$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$cp" io.wasmflight.bench.BenchClient --port "$port" \
  --out "$out/client-java.json" --reps "$java_reps" --target-seconds "$java_target" \
  --roundtrip-sessions "$sessions" --global-warmup-seconds "$global_warmup" "${common[@]}" 2>&1 \
  | tee "$out/client-java.log" || true

wf_log "end to end, pyarrow client (separate process, $("$python" -c 'import pyarrow; print("pyarrow", pyarrow.__version__)'))"
"$python" benchmarks/python/bench_client.py --port "$port" --out "$out/client-pyarrow.json" \
  --reps "$py_reps" --target-seconds "$py_target" "${common[@]}" \
  --cpp-echo-port "$echo_port" --cpp-echo-pid "$echo_pid" \
  --rowwise-port "$rowwise_port" --rowwise-pid "$rowwise_pid" \
  --rowwise-max-rows "$rowwise_max_rows" 2>&1 \
  | tee "$out/client-pyarrow.log" || true

stop_servers
rm -rf "$data_dir"

wf_log "kernel only: Chicory AOT, interpreter, plain Java (in process), then Node"
"$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$cp" io.wasmflight.bench.KernelBench \
  --wasm-dir "$guests" --out "$out/kernel-java.json" --dump-dir "$dump" --workloads "$workloads" \
  --batch-sizes "$kernel_sizes" --reps "$kernel_reps" --target-seconds "$kernel_target" \
  --warmup-seconds "$kernel_warmup" --interp-max-batch "$interp_max_batch" --sessions "$sessions" \
  2>&1 | tee "$out/kernel-java.log" || true
if [ "$breakdown" = 1 ]; then
  # In its own JVM, so that the host copy path shares no JIT state with the call timings.
  wf_log "kernel only: where the AOT server step goes (copy in, call, copy out), separate JVM"
  "$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$cp" io.wasmflight.bench.KernelBench --breakdown-only \
    --wasm-dir "$guests" --out "$out/kernel-breakdown.json" --dump-dir "$dump/breakdown" \
    --workloads "$workloads" --batch-sizes "$kernel_sizes" --reps "$kernel_reps" --target-seconds "$kernel_target" \
    --warmup-seconds "$kernel_warmup" 2>&1 | tee "$out/kernel-breakdown.log" || true
fi
node benchmarks/node/kernel.mjs --dump-dir "$dump" --out "$out/kernel-node.json" \
  --reps "$kernel_reps" --target-seconds "$kernel_target" --warmup-seconds "$kernel_warmup" 2>&1 \
  | tee "$out/kernel-node.log" || true

wf_log "measurements done in $(( $(date +%s) - started_epoch )) s; writing the report (also copied to results/latest/)"
status=0
"$JAVA_HOME/bin/java" "${jvm[@]}" -Djava.awt.headless=true -cp "$cp" io.wasmflight.bench.Report \
  --dir "$out" >"$out/report.log" 2>&1 || status=$?
rm -rf "$WF_ROOT/results/latest"
cp -r "$out" "$WF_ROOT/results/latest"
cat "$out/report.log"
exit "$status"
