# Shared helpers for the wasm-flight scripts. Source it; do not run it.
# shellcheck shell=bash

WF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

wf_log() { printf '[wasm-flight] %s\n' "$*" >&2; }
wf_die() { printf '[wasm-flight] error: %s\n' "$*" >&2; exit 1; }

# Major version of a java binary ("17", "21", "25"), or empty.
wf_java_major() {
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

# Sets JAVA_HOME to a JDK 21+ (JAVA_HOME if good, else java on PATH, else the newest under the
# usual JVM folders) and puts it first on PATH. JDK 11-17 miscompile large Chicory-compiled
# modules, so there is no fallback to them.
wf_find_jdk() {
  local candidates=() c major best="" best_major=0
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major="$(wf_java_major "$c/bin/java")"
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$c"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    wf_die "no JDK 21 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm). wasm-flight needs JDK 21+: install one (e.g. Temurin 21 or 25) and set JAVA_HOME."
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  WF_JAVA_MAJOR="$best_major"
}

# JVM flags the server needs on this JDK (see shared notes: Arrow on 17+, Netty 4.2 on 23+).
# -XX:Tier3DelayOn: while C2's queue is long, HotSpot compiles hot methods at C1's tier 2 (no
# profiling) instead of tier 3; a large Chicory-compiled guest function then fails tier 3 later
# ("out of virtual registers in linear scan"), has no profile to reach C2 with, and stays in tier-2
# code for the life of the JVM (add_one's kernel at ~300 instead of ~1,200 Mrows/s). A threshold
# never reached keeps tier 2 out of the way; the guest functions then reach C2 every time.
# -Dio.netty.tryReflectionSetAccessible=true: lets Netty allocate its pool's direct memory without
# ByteBuffer.allocateDirect (java.nio is opened above), which zeroes every new chunk: gRPC's 2 MiB
# chunks come and go with 1M-row batches, and that zeroing was 15% of an echo's server CPU.
wf_jvm_flags() {
  local flags=(--add-opens=java.base/java.nio=ALL-UNNAMED -XX:Tier3DelayOn=100000
    -Dio.netty.tryReflectionSetAccessible=true)
  if [ "${WF_JAVA_MAJOR:-0}" -ge 23 ]; then
    flags+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
  fi
  printf '%s\n' "${flags[@]}"
}

# Stops a process started in the background: TERM, up to 10 s, then KILL. Empty or gone: no-op.
wf_stop_pid() {
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Prints the port a benchmark server announced in LOG ("NAME port N pid P ..."), waiting up to
# 60 s; dies with the log when process PID exits first.
wf_wait_port() {
  local name="$1" log="$2" pid="$3" port=""
  for _ in $(seq 600); do
    port="$(sed -n "s/^$name port \([0-9]*\) pid.*/\1/p" "$log")"
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; wf_die "$name did not start (log: $log)"; }
    sleep 0.1
  done
  wf_die "$name did not print its port within 60 s (log: $log)"
}

# Classpath of the benchmarks module built in the tree at DIR (default: this one).
wf_bench_classpath() {
  local dir="${1:-$WF_ROOT}" jar
  jar="$(ls "$dir"/benchmarks/target/benchmarks-*.jar 2>/dev/null | head -n1 || true)"
  [ -n "$jar" ] || wf_die "the benchmarks module is not built in $dir (run without --no-build)"
  echo "$jar:$dir/benchmarks/target/lib/*"
}

wf_require_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    wf_log "installing Maven (apt-get)"
    apt-get update -qq >/dev/null && apt-get install -y -qq maven >/dev/null
  fi
  command -v mvn >/dev/null 2>&1 || wf_die "Maven (mvn) is required: install Apache Maven 3.8+"
}

# wat2wasm (Debian's wabt) for the pyarrow suite's WAT guests; the Java tests use Chicory's.
wf_ensure_wabt() {
  command -v wat2wasm >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    wf_log "installing wabt (wat2wasm) with apt-get"
    { apt-get update -qq && apt-get install -y -qq wabt; } >/dev/null 2>&1 || true
  fi
  command -v wat2wasm >/dev/null 2>&1 || wf_log "warning: wat2wasm not found; the pyarrow tests that need WAT guests will be skipped (install wabt)"
}

# Node.js and npm, for the AssemblyScript guests (guest-sdk-as/build-examples.sh runs `npm ci`
# and the compiler during the Maven build). Installs Debian's packages when running as root.
wf_ensure_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    wf_log "installing Node.js and npm with apt-get (for the AssemblyScript guests)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; } >/dev/null 2>&1 || true
  fi
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || wf_die "Node.js 18+ and npm are required to build the AssemblyScript guests (guest-sdk-as): install them (e.g. apt-get install nodejs npm)"
}

# Creates or repairs the Python venv used by the client tests (.venv): pyarrow, pytest, numpy,
# pandas and polars, and this tree's Python client (clients/python) installed in editable mode,
# so the tests always run the client's current source.
wf_ensure_venv() {
  local venv="$WF_ROOT/.venv"
  local check='import os, sys, pyarrow.flight, pytest, numpy, pandas, polars, ray.data, wasm_flight
sys.exit(0 if os.path.realpath(wasm_flight.__file__).startswith(os.path.realpath(sys.argv[1])) else 1)'
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" "$WF_ROOT/clients/python/src" 2>/dev/null; then
    return 0
  fi
  local py
  py="$(command -v python3 || true)"
  [ -n "$py" ] || wf_die "python3 is required for the client tests"
  if [ ! -x "$venv/bin/python" ]; then
    wf_log "creating Python venv in .venv"
    "$py" -m venv "$venv" || wf_die "cannot create a venv (on Debian: apt-get install python3-venv)"
  fi
  wf_log "installing pyarrow, pytest, numpy, pandas, polars and ray[data] into .venv (an unreachable default index may print retry warnings first)"
  "$venv/bin/pip" install --quiet --retries 1 --timeout 15 -r "$WF_ROOT/integration-tests/python/requirements.txt" \
    || wf_die "pip could not install the test requirements"
  wf_log "installing the Python client (clients/python) into .venv"
  "$venv/bin/pip" install --quiet --retries 1 --timeout 15 -e "$WF_ROOT/clients/python" \
    || wf_die "pip could not install clients/python"
}

# The help file (cli/help/<subcommand>.txt) that the arguments of scripts/wasm-flight ask for,
# or nothing when they do not ask for help: "--help"/"-h" anywhere before "--", or "help [SUB]".
# Options without a subcommand are serve's. Answers without a JDK or a build.
wf_help_file() {
  local dir="$WF_ROOT/cli/help" sub="" a
  case "${1:-}" in
    serve|register|list|describe|unregister|call|hash-secret) sub="$1" ;;
    help)
      case "${2:-}" in
        serve|register|list|describe|unregister|call|hash-secret) echo "$dir/$2.txt" ;;
        *) echo "$dir/wasm-flight.txt" ;;
      esac
      return 0 ;;
    "") echo "$dir/wasm-flight.txt"; return 0 ;;
  esac
  for a in "$@"; do
    [ "$a" = "--" ] && return 0
    if [ "$a" = "--help" ] || [ "$a" = "-h" ]; then
      if [ -n "$sub" ]; then
        echo "$dir/$sub.txt"
      elif [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
        echo "$dir/wasm-flight.txt"
      else
        echo "$dir/serve.txt"
      fi
      return 0
    fi
  done
}
