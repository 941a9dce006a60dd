#!/usr/bin/env bash
# Runs every test: Java unit and integration tests (Maven; builds the Rust, C and AssemblyScript
# example guests, installing the wasm32 target, clang + lld and Node.js if missing), the Rust SDK's
# own tests, and the pyarrow client suite (in .venv, created with pyarrow and pytest if missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/scripts/common.sh"
wf_find_jdk
wf_require_maven
cd "$WF_ROOT"
wf_log "JDK $WF_JAVA_MAJOR at $JAVA_HOME"

wf_log "Rust guest SDK: example guests for wasm32 (installs the target if missing), then native tests"
bash guest-sdk-rust/build-examples.sh
bash guest-sdk-rust/test-sdk.sh

wf_log "C guests: examples for wasm32 with clang + lld (installs clang and lld if missing)"
bash guest-sdk-c/build-examples.sh

wf_log "Java tests (mvn verify; builds the Rust, C and AssemblyScript example guests)"
wf_ensure_node
mvn -B -ntp -Dstyle.color=never verify

wf_log "pyarrow client tests"
wf_ensure_venv
wf_ensure_wabt
export WASM_FLIGHT_EXAMPLES_DIR="$WF_ROOT/integration-tests/target/wasm-examples"
"$WF_ROOT/.venv/bin/python" -m pytest -q integration-tests/python

wf_log "benchmark smoke test (quick mode: every configuration verified, no timing asserted)"
bash scripts/bench.sh --quick

wf_log "profiler smoke test (scripts/profile.sh: a kernel and a server recording, each summarised)"
bash scripts/profile.sh --no-build --kernel --seconds 1 >/dev/null
bash scripts/profile.sh --no-build --client java --seconds 1 >/dev/null
