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
target=wasm32-unknown-unknown

# True when the rustc command given as arguments has the wasm32 std.
has_wasm_std() {
  local dir
  dir="$("$@" --print target-libdir --target "$target" 2>/dev/null)" || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}

# Sets the `cargo` array to a cargo command that can build for $target.
find_cargo() {
  if command -v rustup >/dev/null; then
    if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
      cargo=(cargo)
      return
    fi
    if has_wasm_std rustc +system; then
      cargo=(cargo +system)
      return
    fi
    if rustup target add "$target" >/dev/null 2>&1; then
      cargo=(cargo)
      return
    fi
  fi
  if ! has_wasm_std /usr/bin/rustc && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing rustc, cargo and libstd-rust-dev-wasm32 with apt-get..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32 \
      >/dev/null
  fi
  if has_wasm_std /usr/bin/rustc && [ -x /usr/bin/cargo ]; then
    if command -v rustup >/dev/null; then
      rustup toolchain link system /usr
      cargo=(cargo +system)
    else
      cargo=(env RUSTC=/usr/bin/rustc /usr/bin/cargo)
    fi
    return
  fi
  cat >&2 <<EOF
error: no Rust toolchain that can build for $target was found.
Install one of:
  - rustup: rustup target add $target
  - Debian/Ubuntu (as root): apt-get install rustc cargo libstd-rust-dev-wasm32
    (then, if rustup is installed: rustup toolchain link system /usr)
EOF
  exit 1
}

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
