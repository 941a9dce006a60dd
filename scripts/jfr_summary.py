"""Summarises the CPU samples of a JFR recording (run by scripts/profile.sh).

Reads `jfr print --json --events jdk.ExecutionSample` and prints, over the samples kept:
  - where the time goes by area (guest code, guest memory access, host codec, exchange, Arrow,
    gRPC/Netty, GC-free JDK code, ...), judged by the innermost frame that is not JDK plumbing;
  - how the innermost frames ran (JIT compiled, inlined, interpreted, native), in all and in
    guest code alone: interpreted guest frames are guest functions HotSpot did not compile;
  - the hottest methods (innermost frame), and the hottest guest functions.

Usage: python3 jfr_summary.py RECORDING.jfr [--within SUBSTRING] [--top N] [--jfr PATH]
  --within  keep only samples with a frame whose `class.method` contains SUBSTRING
            (e.g. io.wasmflight.bench.KernelBench.time: the kernel benchmark's timed loop)
"""

import argparse
import collections
import json
import subprocess
import sys

# Prefixes of the innermost frame's `class.method`, first match wins. FlatMemory is the guest's
# linear memory; the compiled guest's loads and stores go through GuestMemoryAccess (or, with
# -Dwasmflight.guest.memoryAccess=chicory, Chicory's CompiledMachineShaded.memory* helpers).
AREAS = [
    ("guest memory access", ("io.wasmflight.server.internal.guest.FlatMemory.",
                             "io.wasmflight.server.internal.guest.GuestMemoryAccess.",
                             "com.dylibso.chicory.$gen.CompiledMachineShaded.memory")),
    ("guest code (Chicory-compiled)", ("com.dylibso.chicory.$gen.",)),
    ("Chicory runtime", ("com.dylibso.chicory.",)),
    ("host codec (copy in/out, validation)", ("io.wasmflight.server.internal.codec.",)),
    ("server exchange / Flight glue", ("io.wasmflight.server.",)),
    ("benchmark harness", ("io.wasmflight.bench.",)),
    ("Arrow Java", ("org.apache.arrow.",)),
    ("gRPC / Netty / protobuf", ("io.grpc.", "io.netty.", "com.google.protobuf.")),
]
# JDK frames are attributed to the first caller outside these packages when there is one in
# the few frames above (a VarHandle access in GuestMemoryAccess counts as guest memory access).
JDK = ("java.", "jdk.", "sun.")


def frame_name(f):
    m = f["method"]
    return m["type"]["name"].replace("/", "."), m["name"]


def area_of(frames):
    for depth, f in enumerate(frames[:8]):
        cls, meth = frame_name(f)
        if cls.startswith(JDK) and depth < 7:
            continue
        for area, prefixes in AREAS:
            if f"{cls}.{meth}".startswith(prefixes):
                return area
        return "JDK" if cls.startswith(JDK) else "other (" + cls.rsplit(".", 1)[0] + ")"
    return "JDK"


def pct(n, total):
    return f"{100.0 * n / total:5.1f}%" if total else "    -"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("recording")
    p.add_argument("--within", default=None)
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--jfr", default="jfr")
    a = p.parse_args()
    raw = subprocess.run([a.jfr, "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ExecutionSample", a.recording],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(raw)["recording"]["events"]
    areas, types, guest_types = (collections.Counter() for _ in range(3))
    methods, guest_methods, threads = (collections.Counter() for _ in range(3))
    kept = 0
    for e in events:
        st = e["values"].get("stackTrace") or {}
        frames = st.get("frames") or []
        if not frames:
            continue
        names = [".".join(frame_name(f)) for f in frames]
        if a.within and not any(a.within in n for n in names):
            continue
        kept += 1
        top = frames[0]
        cls, meth = frame_name(top)
        area = area_of(frames)
        areas[area] += 1
        types[top.get("type", "?")] += 1
        methods[f"{cls}.{meth}"] += 1
        threads[(e["values"].get("sampledThread") or {}).get("javaName") or "?"] += 1
        if area.startswith("guest code"):
            guest_types[top.get("type", "?")] += 1
            guest_methods[f"{cls.rsplit('.', 1)[-1]}.{meth}"] += 1
    print(f"{kept} CPU samples kept of {len(events)}"
          + (f" (stacks through {a.within})" if a.within else ""))
    if not kept:
        return 1
    print("\nby area (innermost non-JDK frame):")
    for k, n in areas.most_common():
        print(f"  {pct(n, kept)}  {k}")
    print("\ninnermost frame ran as:")
    for k, n in types.most_common():
        print(f"  {pct(n, kept)}  {k}")
    g = sum(guest_types.values())
    if g:
        print(f"\nguest code samples ({g}) ran as:")
        for k, n in guest_types.most_common():
            print(f"  {pct(n, g)}  {k}")
        print("\nhottest guest functions (share of all kept samples):")
        for k, n in guest_methods.most_common(a.top):
            print(f"  {pct(n, kept)}  {k}")
    print("\nhottest methods (innermost frame):")
    for k, n in methods.most_common(a.top):
        print(f"  {pct(n, kept)}  {k}")
    print("\nby thread:")
    for k, n in threads.most_common(8):
        print(f"  {pct(n, kept)}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
