#!/usr/bin/env bash
# Builds wasm-flight and the Rust example guests, then starts the server with the examples
# registered. Extra arguments go to the server (e.g. --port 9000, --data-dir DIR, --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/common.sh"
wf_find_jdk
wf_require_maven
cd "$WF_ROOT"
wf_log "building the server (JDK $WF_JAVA_MAJOR at $JAVA_HOME)"
mvn -q -B -Dstyle.color=never -DskipTests -pl flight-server -am package
examples="$WF_ROOT/guest-sdk-rust/target/wasm-examples"
bash guest-sdk-rust/build-examples.sh "$examples"
register=()
for wasm in "$examples"/*.wasm; do
  name="$(basename "$wasm" .wasm)"
  register+=(--register "$name=$wasm")
done
exec "$WF_ROOT/scripts/wasm-flight" "${register[@]}" "$@"
