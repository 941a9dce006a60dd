#!/usr/bin/env bash
# Builds every crate of a group — examples/ (default) or hostile/ (guests that misbehave on
# purpose, for the tests) — for wasm32-unknown-unknown (release) and copies the .wasm modules to
# OUT_DIR (default: guest-sdk-rust/target/wasm-<group>).
#
# Usage: build-examples.sh [OUT_DIR] [examples|hostile]
#
# Finds a toolchain with the wasm32 standard library by itself, in this order: rustup's default
# toolchain with the target installed; a linked rustup toolchain named `system` (Debian's rustc);
# `rustup target add`; Debian packages (installed with apt-get when running as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
group="${2:-examples}"
case "$group" in examples|hostile) ;; *) echo "error: unknown group '$group'" >&2; exit 2 ;; esac
out="${1:-$here/target/wasm-$group}"
# shellcheck source=find-cargo.sh
source "$here/find-cargo.sh"
find_cargo

packages=()
for manifest in "$here/$group"/*/Cargo.toml; do
  packages+=("$(basename "$(dirname "$manifest")")")
done

"${cargo[@]}" build --quiet --release --target "$target" \
  --manifest-path "$here/Cargo.toml" --target-dir "$here/target" \
  "${packages[@]/#/--package=}"

mkdir -p "$out"
for package in "${packages[@]}"; do
  module="${package//-/_}.wasm"
  cp "$here/target/$target/release/$module" "$out/$module"
  echo "built $out/$module ($(wc -c <"$out/$module") bytes)"
done
