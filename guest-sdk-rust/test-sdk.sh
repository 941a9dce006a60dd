#!/usr/bin/env bash
# Runs the native tests of the Rust guest SDK and its examples: with the default toolchain, and
# also with a rustup toolchain named `system` when one is linked (Debian's rustc 1.63, the oldest
# supported Rust), so that both the newest and the oldest supported compilers are checked.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=(test --quiet --manifest-path "$here/Cargo.toml" --target-dir "$here/target")

if command -v cargo >/dev/null; then
  cargo "${args[@]}"
  if command -v rustup >/dev/null && rustup toolchain list | grep -q '^system'; then
    cargo +system "${args[@]}"
  fi
elif [ -x /usr/bin/cargo ]; then
  /usr/bin/cargo "${args[@]}"
else
  echo "error: cargo not found; install Rust (rustup, or apt-get install rustc cargo)" >&2
  exit 1
fi
