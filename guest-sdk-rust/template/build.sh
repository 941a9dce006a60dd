#!/usr/bin/env bash
# Builds this crate into @MODULE@.wasm (next to this script), ready to register with wasm-flight:
#   ./build.sh          cargo build --release --target wasm32-unknown-unknown, then copies the module
#   ./build.sh test     runs the native tests (cargo test) first
# Made by wasm-flight's guest-sdk-rust/new-guest.sh; needs nothing from that repository.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

@FIND_CARGO@

find_cargo
if [ "${1:-}" = test ]; then
  "${cargo[@]}" test --quiet --manifest-path "$here/Cargo.toml"
fi
"${cargo[@]}" build --quiet --release --target "$target" --manifest-path "$here/Cargo.toml"
cp "$here/target/$target/release/@MODULE@.wasm" "$here/@MODULE@.wasm"
echo "built $here/@MODULE@.wasm ($(wc -c <"$here/@MODULE@.wasm") bytes)"
