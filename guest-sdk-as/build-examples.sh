#!/usr/bin/env bash
# Builds the AssemblyScript example guests (examples/*.ts) into OUT_DIR (default:
# guest-sdk-as/target/wasm-examples), one .wasm per file, with the compiler pinned in
# package-lock.json (installed by `npm ci` into guest-sdk-as/node_modules; npm's cache is
# kept in guest-sdk-as/target/npm-cache, so a second run works offline).
#
# Usage: build-examples.sh [OUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/target/wasm-examples}"
mkdir -p "$out"
out="$(cd "$out" && pwd)" # absolute: the script changes directory

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  cat >&2 <<MSG
error: the AssemblyScript guests need Node.js 18+ and npm (for the 'assemblyscript' compiler),
and 'node'/'npm' are not on PATH. Install them, e.g.
  - Debian/Ubuntu (as root): apt-get install nodejs npm
  - or https://nodejs.org/
MSG
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "error: Node.js $(node --version) is too old for assemblyscript 0.28; install Node.js 18+" >&2
  exit 1
fi

cd "$here"
compiler=node_modules/assemblyscript/bin/asc.js
want="$(node -p 'require("./package-lock.json").packages["node_modules/assemblyscript"].version')"
have="$( [ -f node_modules/assemblyscript/package.json ] \
  && node -p 'require("./node_modules/assemblyscript/package.json").version' || true)"
if [ "$have" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error --cache "$here/target/npm-cache" --prefer-offline \
    || { echo "error: npm ci failed (no network and nothing cached in target/npm-cache?)" >&2; exit 1; }
fi

# The examples import the library as a package, "wasm-flight-guest", as a user's project does
# (there it is node_modules/wasm-flight-guest): resolve it to this directory.
mkdir -p target/lib
ln -sfn ../.. target/lib/wasm-flight-guest

for src in examples/*.ts; do
  name="$(basename "$src" .ts)"
  node "$compiler" "$src" --config asconfig.json --path target/lib \
    --outFile "$out/$name.wasm"
  echo "built $out/$name.wasm ($(wc -c <"$out/$name.wasm") bytes)"
done
