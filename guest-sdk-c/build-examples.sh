#!/usr/bin/env bash
# Builds every C example (examples/*.c) into OUT_DIR/<name>.wasm with clang + lld for wasm32,
# no libc: the command of README.md ("Build"), plus -Wall -Wextra -Werror.
# Default OUT_DIR: guest-sdk-c/target/wasm-examples.
#
# Usage: build-examples.sh [OUT_DIR]
#
# Needs clang and wasm-ld (Debian/Ubuntu packages clang and lld); when either is missing and the
# script runs as root with apt-get, it installs both with apt-get first and says so.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/target/wasm-examples}"

if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing clang and lld (wasm-ld) with apt-get..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang lld >/dev/null
  fi
fi
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  echo "error: clang and wasm-ld are needed to build C guests (Debian/Ubuntu: apt-get install clang lld)" >&2
  exit 1
fi

mkdir -p "$out"
for source in "$here"/examples/*.c; do
  name="$(basename "$source" .c)"
  clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror -I "$here" \
    -Wl,--no-entry -Wl,--strip-all -o "$out/$name.wasm" "$source"
  echo "built $out/$name.wasm ($(wc -c <"$out/$name.wasm") bytes)"
done
