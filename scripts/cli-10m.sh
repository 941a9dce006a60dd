#!/usr/bin/env bash
# The CLI end to end at scale (run by hand; the test suite streams 1M rows): starts a server on a
# free port with a temporary data dir, registers add_one and identity with the CLI, makes a
# 10M-row Parquet file (seq -> CSV -> identity -> Parquet), streams it through add_one with the
# progress display, and checks every output row (Parquet -> CSV -> awk: x = input + 1).
# Usage: scripts/cli-10m.sh [ROWS]   (default 10000000; needs a build: mvn -DskipTests install)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rows="${1:-10000000}"
wf="$WF_ROOT/scripts/wasm-flight"
examples="$WF_ROOT/cli/target/wasm-examples"
[ -e "$examples/add_one.wasm" ] || examples="$WF_ROOT/guest-sdk-rust/target/wasm-examples"
[ -e "$examples/add_one.wasm" ] || wf_die "no add_one.wasm: build first (mvn -DskipTests install)"
work="$(mktemp -d "${TMPDIR:-/tmp}/wasm-flight-10m.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$wf" serve --port 0 --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  grep -q "listening on" "$work/server.log" 2>/dev/null && break
  sleep 0.5
done
address="$(sed -n 's/.*listening on \(grpc:\/\/[^ ]*\).*/\1/p' "$work/server.log" | head -n1)"
[ -n "$address" ] || { cat "$work/server.log" >&2; wf_die "the server did not start"; }
export WASM_FLIGHT_SERVER="$address"
wf_log "server at $address; $rows rows in $work"

"$wf" register add_one "$examples/add_one.wasm"
"$wf" register identity "$examples/identity.wasm"
{ echo x; seq 0 $((rows - 1)); } >"$work/in.csv"
"$wf" call identity/identity --in "$work/in.csv" --out "$work/in.parquet"
ls -l "$work/in.parquet" >&2
wf_log "the call:"
time "$wf" call add_one/add_one --in "$work/in.parquet" --out "$work/out.parquet"
"$wf" call identity/identity --in "$work/out.parquet" --out "$work/out.csv" --quiet
awk -v rows="$rows" 'NR == 1 { if ($0 != "x") bad = 1; next }
  { if ($0 != NR - 1) { bad = 1; exit } }
  END { if (bad || NR - 1 != rows) { print "output check FAILED at line " NR > "/dev/stderr"; exit 1 }
        print "output checked: " rows " rows, x = input + 1" }' "$work/out.csv"
