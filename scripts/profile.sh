#!/usr/bin/env bash
# Profiles one benchmark configuration with JFR and summarises where the CPU goes: by area (guest
# code, guest memory access, host codec, exchange, Arrow, gRPC/Netty, JDK), how the innermost
# frames ran (JIT compiled, inlined, interpreted: a guest function HotSpot left interpreted shows
# here), the hottest methods and guest functions, and by thread. The numbers behind the
# explanations in the README's Performance section.
#
# Usage: scripts/profile.sh [--kernel | --client java|pyarrow] [--workload add_one] [--rows 64K]
#                           [--config aot] [--seconds 10] [--jvm-flag FLAG]... [--no-build]
#   --kernel          the kernel alone (KernelBench, batch already in guest memory, AOT engine);
#                     samples kept: those inside its timed loop
#   --client C        end to end: BenchServer with a Java (default) or pyarrow client running
#                     --config (echo, native, aot, interpreter) for about --seconds after an
#                     untimed warm-up of the same length; the server is recorded (jcmd JFR.start)
#                     only during the timed part; prints server and client CPU per million rows
#   --jvm-flag FLAG   an extra JVM flag for the profiled JVM (repeatable), e.g.
#                     --jvm-flag=-XX:+DontCompileHugeMethods to see the default without it
# Writes the recording and the summary to results/profile-<timestamp>/ (summary.txt).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mode=client client=java workload=add_one rows=64K config=aot seconds=10 build=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) mode=kernel ;;
    --client) client="$2"; shift ;;
    --workload) workload="$2"; shift ;;
    --rows) rows="$2"; shift ;;
    --config) config="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --jvm-flag) extra+=("$2"); shift ;;
    --jvm-flag=*) extra+=("${1#--jvm-flag=}") ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) wf_die "unknown option $1 (see --help)" ;;
  esac
  shift
done
case "$client" in java|pyarrow) ;; *) wf_die "--client is java or pyarrow, not $client" ;; esac

wf_find_jdk
cd "$WF_ROOT"
if [ "$build" = 1 ]; then
  wf_require_maven
  wf_log "building the benchmarks module (JDK $WF_JAVA_MAJOR)"
  mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl benchmarks -am package
fi
cp="$(wf_bench_classpath)"
guests="$WF_ROOT/benchmarks/target/wasm-guests"
bash guest-sdk-rust/build-examples.sh "$guests" >/dev/null
mapfile -t jvm < <(wf_jvm_flags)
jvm+=(-Xmx4g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
out="$WF_ROOT/results/profile-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary() { python3 "$WF_ROOT/scripts/jfr_summary.py" --jfr "$JAVA_HOME/bin/jfr" "$@"; }

if [ "$mode" = kernel ]; then
  wf_log "kernel only: $workload, $rows rows, AOT, ~$seconds s timed; recording to $out/kernel.jfr"
  "$JAVA_HOME/bin/java" "${jvm[@]}" "${extra[@]}" \
    -XX:StartFlightRecording=filename="$out/kernel.jfr",settings=profile \
    -cp "$cp" io.wasmflight.bench.KernelBench --wasm-dir "$guests" --out "$out/kernel.json" \
    --dump-dir "$out/dump" --workloads "$workload" --batch-sizes "$rows" --engines aot \
    --reps 5 --target-seconds "$(python3 -c "print($seconds / 5)")" --warmup-seconds 2 \
    --sessions 20 2>&1 | grep -v ' INFO ' | tee "$out/run.log"
  {
    echo "# kernel only: $workload, $rows rows, Chicory AOT; JVM flags: ${jvm[*]} ${extra[*]}"
    summary "$out/kernel.jfr" --within io.wasmflight.bench.KernelBench.time
  } | tee "$out/summary.txt"
  exit 0
fi

[ "$client" = pyarrow ] && { wf_ensure_venv; python="$WF_ROOT/.venv/bin/python"; }
data_dir="$(mktemp -d)"
server_pid=""
stop_server() {
  wf_stop_pid "$server_pid"
  server_pid=""
  rm -rf "$data_dir"
}
trap stop_server EXIT
: >"$out/server.log"
"$JAVA_HOME/bin/java" "${jvm[@]}" "${extra[@]}" -cp "$cp" io.wasmflight.bench.BenchServer \
  --wasm-dir "$guests" --data-dir "$data_dir" --info-file "$out/server.json" \
  >"$out/server.log" 2>&1 &
server_pid=$!
port="$(wf_wait_port bench-server "$out/server.log" "$server_pid")"

# The client command for one run (3 timed exchanges of about seconds/3 each) into `cmd`.
client_cmd() {
  local json="$1" per
  per="$(python3 -c "print($seconds / 3)")"
  if [ "$client" = java ]; then
    cmd=("$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$cp" io.wasmflight.bench.BenchClient
      --port "$port" --out "$json" --workloads "$workload" --batch-sizes "$rows"
      --kinds-batch-sizes "$rows" --configs "$config" --reps 3 --target-seconds "$per"
      --warmup-seconds 1 --roundtrip-sessions 0 --concurrency-clients 0 --server-pid "$server_pid")
  else
    cmd=("$python" benchmarks/python/bench_client.py --port "$port" --out "$json"
      --workloads "$workload" --batch-sizes "$rows" --kinds-batch-sizes "$rows"
      --configs "$config" --reps 3 --target-seconds "$per" --warmup-seconds 1
      --server-pid "$server_pid")
  fi
}
# Runs `cmd`, then prints the client's CPU seconds (user + system) on a last line.
run_client() {
  python3 - "${cmd[@]}" <<'EOF'
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"client-cpu-seconds {r.ru_utime + r.ru_stime:.3f}")
sys.exit(rc)
EOF
}
wf_log "warm-up: $client client, $workload $config, $rows rows/batch"
client_cmd "$out/warmup.json"
run_client >"$out/warmup.log" 2>&1 || { cat "$out/warmup.log" >&2; wf_die "the warm-up run failed"; }
wf_log "recording the server during the timed run: $out/server.jfr"
"$JAVA_HOME/bin/jcmd" "$server_pid" JFR.start name=profile settings=profile >/dev/null
client_cmd "$out/client.json"
run_client 2>&1 | grep -v ' INFO ' | tee "$out/run.log"
"$JAVA_HOME/bin/jcmd" "$server_pid" JFR.stop name=profile filename="$out/server.jfr" >/dev/null
{
  echo "# server, $client client: $workload $config, $rows rows/batch; JVM flags: ${jvm[*]} ${extra[*]}"
  python3 - "$out/client.json" "$(sed -n 's/^client-cpu-seconds //p' "$out/run.log")" <<'EOF'
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
client_cpu = float(sys.argv[2] or "nan")
for c in cells:
    runs = c.get("runs", [])
    rows = sum(r["rows"] for r in runs)
    secs = sum(r["seconds"] for r in runs)
    cpu = sum(r.get("server_cpu_s", 0) for r in runs)
    if rows:
        print(f"{c['config']} {c['batch_rows']} rows/batch: {rows / secs / 1e6:.3g} Mrows/s over "
              f"{len(runs)} runs; server CPU {cpu / rows * 1e9:.1f} ms per Mrow "
              f"({cpu / secs:.2f} cores busy); client process CPU {client_cpu / rows * 1e9:.1f} ms "
              "per Mrow (whole client run, warm-up included)")
    else:
        print(f"{c['config']}: no timed runs ({c.get('error', 'not verified')})")
EOF
  summary "$out/server.jfr"
} | tee "$out/summary.txt"
