package io.wasmflight.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the JIT compilers of the JVMs a measurement runs in have gone quiet: the share of a core
 * their compiler threads used over the last {@link #WINDOW_SECONDS} of wall time. On the 2-core
 * benchmark machine C2 needs about 30 s of a cold cell to catch up (the server's compiler thread
 * busy at ~0.6 of a core, competing with the client and the exchange); until it has, the SDK's
 * per-batch functions run as tier-3 (profiling C1) code, several times slower at 1K rows per batch,
 * and a warm-up that stops when two exchanges agree stopped in the middle of that. Non-JVM
 * processes (the pyarrow C++ echo server) count as quiet.
 */
final class JitWatch {
  /** The wall-time window the compiler share is taken over. */
  static final double WINDOW_SECONDS = 2.0;

  /** At or below this share of one core the compilers count as quiet. */
  static final double QUIET_SHARE = 0.05;

  private record Sample(double wallSeconds, double compilerSeconds) {}

  private final List<String> pids;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  /** Watches the compiler threads of these processes (empty ids are skipped). */
  JitWatch(List<String> pids) {
    this.pids = pids.stream().filter(p -> !p.isEmpty()).toList();
  }

  /** Watches this JVM and the given processes (empty ids are skipped). */
  static JitWatch thisJvmAnd(String... pids) {
    List<String> all = new ArrayList<>(List.of(pids));
    all.add(Long.toString(ProcessHandle.current().pid()));
    return new JitWatch(all);
  }

  /** Compiler CPU seconds of all watched processes so far (processes that cannot be read: 0). */
  double compilerSeconds() {
    double sum = 0;
    for (String pid : pids) {
      sum += Math.max(0, ProcStatus.compilerCpuSeconds(pid));
    }
    return sum;
  }

  /** Takes a sample now (after each warm-up exchange). */
  void sample() {
    samples.addLast(new Sample(System.nanoTime() / 1e9, compilerSeconds()));
  }

  /**
   * The compilers' share of one core over the last window, from the samples taken; NaN until the
   * samples span a window.
   */
  double share() {
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    Sample last = samples.peekLast();
    // Drop samples older than the window as long as one remains that spans it.
    while (samples.size() > 2) {
      Sample first = samples.pollFirst();
      Sample next = samples.peekFirst();
      if (last.wallSeconds() - next.wallSeconds() < WINDOW_SECONDS) {
        samples.addFirst(first);
        break;
      }
    }
    Sample first = samples.peekFirst();
    double wall = last.wallSeconds() - first.wallSeconds();
    return wall < WINDOW_SECONDS
        ? Double.NaN
        : (last.compilerSeconds() - first.compilerSeconds()) / wall;
  }

  /** True when the compilers used at most {@link #QUIET_SHARE} of a core over the last window. */
  boolean quiet() {
    double s = share();
    return !Double.isNaN(s) && s <= QUIET_SHARE;
  }
}
