# shellcheck shell=bash
# Finds a cargo that can build for wasm32-unknown-unknown and sets the `cargo` array to it.
# Sourced by build-examples.sh, and copied into the build.sh of every crate new-guest.sh makes
# (so that build.sh works without this repository).
#
# Order: rustup's default toolchain with the target installed; a linked rustup toolchain named
# `system` (Debian's rustc); `rustup target add`; Debian packages (installed with apt-get when
# running as root: rustc cargo libstd-rust-dev-wasm32, Rust 1.63 on Debian 12).
target=wasm32-unknown-unknown

# True when the rustc command given as arguments has the wasm32 std.
has_wasm_std() {
  local dir
  dir="$("$@" --print target-libdir --target "$target" 2>/dev/null)" || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}

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
  cat >&2 <<EOM
error: no Rust toolchain that can build for $target was found.
Install one of:
  - rustup: rustup target add $target
  - Debian/Ubuntu (as root): apt-get install rustc cargo libstd-rust-dev-wasm32
    (then, if rustup is installed: rustup toolchain link system /usr)
EOM
  exit 1
}
