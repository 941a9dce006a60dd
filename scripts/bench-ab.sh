#!/usr/bin/env bash
# Before/after comparison of the server on add_one and echo, end to end: this tree's server
# against the server of an older commit (default 2151c35, the tree before the streaming exchange
# pipeline), measured back to back on this machine by the same clients (this tree's BenchClient
# and bench_client.py, whose add_one and echo exchanges are those of the base commit's, plus the
# server's CPU time per timed run).
#
# Usage: scripts/bench-ab.sh [--base REV] [--rounds N] [--sizes 64K,1M] [--no-build]
#   --base REV    the commit to compare with (default 2151c35), extracted with `git archive`
#                 into ${TMPDIR:-/tmp}/wasm-flight-ab-<rev> and built there (kept for reuse)
#   --rounds N    rounds (default 4); each round runs both servers, in alternating order, each
#                 with a fresh JVM: Java client (5 timed runs of ~1 s per configuration and
#                 size, after a 6 s global and 1.5 s per-configuration warm-up), then pyarrow
#                 (3 timed runs of ~0.5 s)
#   --no-build    use the already built benchmarks module of this tree
#
# Writes results/ab-<timestamp>/ (per round and server: client-java.json, client-pyarrow.json)
# and summary.md: per client and batch size, the median rows/s, the AOT/echo ratio of each round
# and their median, and the server's CPU time per million rows (user + system, all threads: on a
# shared machine far steadier than wall time). Only add_one with echo and wasm AOT is run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

base_rev=2151c35
rounds=4
sizes=64K,1M
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base_rev="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) wf_die "unknown option $1 (see --help)" ;;
  esac
  shift
done

wf_find_jdk
wf_require_maven
cd "$WF_ROOT"
base_sha="$(git rev-parse --short "$base_rev")"
head_sha="$(git rev-parse --short HEAD)"
base_dir="${TMPDIR:-/tmp}/wasm-flight-ab-$base_sha"

# build DIR: the benchmarks module and the Rust guests of the tree at DIR.
build_tree() {
  wf_log "building $1"
  (cd "$1" && mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl benchmarks -am package)
  bash "$1/guest-sdk-rust/build-examples.sh" "$1/benchmarks/target/wasm-guests" >/dev/null
}

if [ ! -f "$base_dir/.built" ]; then
  rm -rf "$base_dir"
  mkdir -p "$base_dir"
  git archive "$base_sha" | tar -x -C "$base_dir"
  build_tree "$base_dir"
  touch "$base_dir/.built"
fi
if [ "$build" = 1 ]; then
  build_tree "$WF_ROOT"
fi
wf_ensure_venv
python="$WF_ROOT/.venv/bin/python"
mapfile -t jvm < <(wf_jvm_flags)
jvm+=(-Xmx4g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
client_cp="$(wf_bench_classpath "$WF_ROOT")"

out="$WF_ROOT/results/ab-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
server_pid=""
stop_server() {
  wf_stop_pid "$server_pid"
  server_pid=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# measure NAME TREE_DIR OUT_DIR: one server of TREE_DIR, both clients against it.
measure() {
  local name="$1" tree="$2" dir="$3" port="" data
  mkdir -p "$dir"
  : >"$dir/server.log"
  data="$(mktemp -d)"
  "$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$(wf_bench_classpath "$tree")" io.wasmflight.bench.BenchServer \
    --wasm-dir "$tree/benchmarks/target/wasm-guests" --data-dir "$data" \
    --info-file "$dir/server.json" >"$dir/server.log" 2>&1 &
  server_pid=$!
  port="$(wf_wait_port bench-server "$dir/server.log" "$server_pid")"
  local common=(--workloads add_one --configs echo,aot --batch-sizes "$sizes" --min-batches 2
    --pool-rows $((1 << 20)) --server-pid "$server_pid")
  wf_log "$name server ($dir): Java client, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "$JAVA_HOME/bin/java" "${jvm[@]}" -cp "$client_cp" io.wasmflight.bench.BenchClient \
    --port "$port" --out "$dir/client-java.json" --reps 5 --target-seconds 1.0 \
    --warmup-seconds 1.5 --global-warmup-seconds 6 --roundtrip-sessions 0 --concurrency-clients 0 \
    "${common[@]}" \
    >"$dir/client-java.log" 2>&1
  wf_log "$name server: pyarrow client"
  "$python" "$WF_ROOT/benchmarks/python/bench_client.py" --port "$port" \
    --out "$dir/client-pyarrow.json" --reps 3 --target-seconds 0.5 --warmup-seconds 0.5 \
    "${common[@]}" >"$dir/client-pyarrow.log" 2>&1
  stop_server
  rm -rf "$data"
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order=(before after); else order=(after before); fi
  for side in "${order[@]}"; do
    if [ "$side" = before ]; then tree="$base_dir"; else tree="$WF_ROOT"; fi
    measure "$side" "$tree" "$out/round$r/$side"
  done
done

"$python" - "$out" "$base_sha" "$head_sha" "$rounds" <<'EOF'
import json, os, statistics, sys
out, base, head, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def label(rows):
    return f"{rows >> 20}M" if rows >= 1 << 20 else f"{rows >> 10}K"

rate, cpu = {}, {}  # (side, client, rows, config) -> per round: median rows/s, CPU s per Mrow
for r in range(1, rounds + 1):
    for side in ("before", "after"):
        for client in ("java", "pyarrow"):
            p = os.path.join(out, f"round{r}", side, f"client-{client}.json")
            for c in json.load(open(p))["cells"]:
                if not c.get("verified"):
                    sys.exit(f"{p}: {c['config']} {c['batch_rows']} failed: {c.get('error')}")
                key = (side, client, c["batch_rows"], c["config"])
                rate.setdefault(key, []).append(
                    statistics.median(run["rows_per_s"] for run in c["runs"]))
                cpu.setdefault(key, []).append(statistics.median(
                    run["server_cpu_s"] / run["rows"] * 1e6 for run in c["runs"]))

def mid(xs):
    return statistics.median(xs)

lines = [f"Before = {base}, after = {head}; {rounds} rounds, servers alternating, add_one. "
         "Mrows/s: median over rounds of each round's median. AOT/echo: the ratio per round, "
         "median [range] over rounds. CPU: the server's user + system CPU ms per million input "
         "rows (all threads), median over rounds.", "",
         "| client | rows/batch | echo Mrows/s before → after | AOT Mrows/s before → after "
         "| AOT/echo before | AOT/echo after | ratio change | server CPU ms/Mrow echo "
         "before → after | AOT before → after |",
         "|---|---|---|---|---|---|---|---|---|"]
for client in ("java", "pyarrow"):
    for rows in sorted({k[2] for k in rate}):
        k = lambda side, cfg: (side, client, rows, cfg)
        ratios = {s: [a / e for a, e in zip(rate[k(s, "aot")], rate[k(s, "echo")])]
                  for s in ("before", "after")}
        change = (mid(ratios["after"]) / mid(ratios["before"]) - 1) * 100
        cells = [f"{mid(rate[k('before', c)]) / 1e6:.1f} → {mid(rate[k('after', c)]) / 1e6:.1f}"
                 for c in ("echo", "aot")]
        cells += [f"{mid(ratios[s]):.2f}× [{min(ratios[s]):.2f}–{max(ratios[s]):.2f}]"
                  for s in ("before", "after")]
        cells.append(f"{change:+.0f}%")
        cells += [f"{mid(cpu[k('before', c)]) * 1e3:.0f} → {mid(cpu[k('after', c)]) * 1e3:.0f}"
                  for c in ("echo", "aot")]
        lines.append(f"| {client} | {label(rows)} | " + " | ".join(cells) + " |")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
EOF
wf_log "results in $out (summary.md)"
