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

# Every ```rust block of README.md is a doctest (ReadmeDoctests in src/lib.rs): check that
# rustdoc found each one, so a block whose fence stops matching is not silently skipped.
fences="$(grep -c '^```rust' "$here/README.md")"
if command -v cargo >/dev/null; then lister=(cargo); else lister=(/usr/bin/cargo); fi
found="$("${lister[@]}" test --quiet --doc --manifest-path "$here/Cargo.toml" --target-dir "$here/target" \
  -p wasm-flight-guest -- --list 2>/dev/null | grep -c 'ReadmeDoctests (line')"
if [ "$fences" != "$found" ]; then
  echo "error: README.md has $fences \`\`\`rust blocks but rustdoc ran $found of them" >&2
  exit 1
fi
echo "README.md: all $found rust blocks compiled as doctests"
