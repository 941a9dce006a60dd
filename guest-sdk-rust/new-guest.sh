#!/usr/bin/env bash
# Creates a new wasm-flight guest crate in DIR (outside this repository or anywhere else) from
# guest-sdk-rust/template/: a scalar UDF with a native test, a release profile that strips, and a
# build.sh that builds DIR/NAME.wasm.
#
# Usage: new-guest.sh [--git URL [--rev REV | --branch BRANCH | --tag TAG]] DIR [NAME]
#   NAME      crate name (default: DIR's base name); the module is NAME.wasm ('-' becomes '_')
#   (default) the SDK is copied into DIR/vendor/wasm-flight-guest and used as a path dependency:
#             the crate builds offline and without this repository
#   --git URL the SDK is a git dependency on URL (the wasm-flight repository) instead; cargo
#             finds the wasm-flight-guest package inside it
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '6,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

git_url="" git_ref=""
while [ $# -gt 0 ]; do
  case "$1" in
    --git) [ $# -ge 2 ] || usage; git_url="$2"; shift 2 ;;
    --rev|--branch|--tag) [ $# -ge 2 ] || usage; git_ref="${1#--} = \"$2\""; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "error: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ -z "$git_ref" ] || [ -n "$git_url" ] || { echo "error: --rev/--branch/--tag need --git" >&2; exit 2; }
dir="$1"
name="${2:-$(basename "$dir")}"
if ! [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_-]{0,63}$ ]]; then
  echo "error: '$name' is not a crate name (letters, digits, '_' and '-'; not starting with a digit)" >&2
  exit 2
fi
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "error: $dir exists and is not empty" >&2
  exit 1
fi
module="${name//-/_}"

mkdir -p "$dir/src"
if [ -n "$git_url" ]; then
  dependency="wasm-flight-guest = { git = \"$git_url\"${git_ref:+, $git_ref} }"
else
  mkdir -p "$dir/vendor/wasm-flight-guest"
  cp -R "$here/wasm-flight-guest/Cargo.toml" "$here/wasm-flight-guest/src" \
    "$dir/vendor/wasm-flight-guest/"
  cp "$here/README.md" "$dir/vendor/wasm-flight-guest/README.md"
  dependency='wasm-flight-guest = { path = "vendor/wasm-flight-guest" }'
fi

sed -e "s|@NAME@|$name|g" -e "s|@DEPENDENCY@|$dependency|" \
  "$here/template/Cargo.toml" >"$dir/Cargo.toml"
cp "$here/template/src/lib.rs" "$dir/src/lib.rs"
printf '/target\n' >"$dir/.gitignore"
write_build_sh() {
  # build.sh = the template with find-cargo.sh inlined, so it runs without this repository.
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$line" = "@FIND_CARGO@" ]; then
      grep -v '^# shellcheck' "$here/find-cargo.sh"
    else
      line="${line//@NAME@/$name}"
      printf '%s\n' "${line//@MODULE@/$module}"
    fi
  done <"$here/template/build.sh"
}
write_build_sh >"$dir/build.sh"
chmod +x "$dir/build.sh"

echo "created $dir: crate $name (SDK: ${git_url:-vendored in vendor/wasm-flight-guest})"
echo "build it with: $dir/build.sh   (module: $dir/$module.wasm)"
