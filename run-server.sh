#!/usr/bin/env bash
# Builds wasm-flight and the Rust example guests, then starts the server with the examples
# registered. Extra arguments go to the server (e.g. --port 9000, --data-dir DIR, --help).
#
# The examples never touch your modules: without --data-dir the server runs on a demo data dir,
# ${XDG_STATE_HOME:-~/.local/state}/wasm-flight/demo (not $WASM_FLIGHT_DATA_DIR, not ~/.wasm-flight);
# with --data-dir DIR they are registered into DIR with --register-new, which keeps a module of the
# same name that DIR already holds. --help answers at once, without building.
# WASM_FLIGHT_DRY_RUN=1 prints the server command instead of building and running it (for tests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/common.sh"
help_file="$(wf_help_file serve "$@")"
if [ -n "$help_file" ]; then
  cat "$help_file"
  exit 0
fi
cd "$WF_ROOT"
data_dir_args=(--data-dir "${XDG_STATE_HOME:-$HOME/.local/state}/wasm-flight/demo")
for a in "$@"; do
  case "$a" in
    --data-dir|--data-dir=*) data_dir_args=() ;;
  esac
done
examples="$WF_ROOT/guest-sdk-rust/target/wasm-examples"
if [ -z "${WASM_FLIGHT_DRY_RUN:-}" ]; then
  wf_find_jdk
  wf_require_maven
  wf_log "building the server and the CLI (JDK $WF_JAVA_MAJOR at $JAVA_HOME)"
  mvn -q -B -Dstyle.color=never -DskipTests -pl flight-server,cli -am package
  bash guest-sdk-rust/build-examples.sh "$examples"
fi
register=()
for wasm in "$examples"/*.wasm; do
  [ -e "$wasm" ] || continue
  name="$(basename "$wasm" .wasm)"
  register+=(--register-new "$name=$wasm")
done
if [ -n "${WASM_FLIGHT_DRY_RUN:-}" ]; then
  printf '%q ' "$WF_ROOT/scripts/wasm-flight" serve "${data_dir_args[@]}" "${register[@]}" "$@"
  printf '\n'
  exit 0
fi
exec "$WF_ROOT/scripts/wasm-flight" serve "${data_dir_args[@]}" "${register[@]}" "$@"
