package io.wasmflight.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident set size and CPU time of a process from {@code /proc/<pid>/status} and {@code
 * /proc/<pid>/stat} (Linux only).
 */
public final class ProcStatus {
  private ProcStatus() {}

  /** A {@code kB} field of {@code /proc/<pid>/status} in bytes, or -1 when unavailable. */
  public static long field(String pid, String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
        if (line.startsWith(name + ":")) {
          String v = line.substring(name.length() + 1).trim();
          return Long.parseLong(v.substring(0, v.indexOf(' ')).trim()) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Peak resident set size ({@code VmHWM}) in bytes, or -1. */
  public static long peakRss(String pid) {
    return field(pid, "VmHWM");
  }

  /** Current resident set size ({@code VmRSS}) in bytes, or -1. */
  public static long rss(String pid) {
    return field(pid, "VmRSS");
  }

  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ: 100 on Linux). */
  static final double TICKS_PER_SECOND = 100.0;

  /**
   * User plus system CPU seconds the process has used so far (all threads), or -1. Unlike wall
   * time, hardly affected by other processes competing for the cores.
   */
  public static double cpuSeconds(String pid) {
    try {
      return cpuTicks(Path.of("/proc", pid, "stat")) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * User plus system CPU seconds a JVM's JIT compiler threads (HotSpot names them {@code C1
   * CompilerThre…} and {@code C2 CompilerThre…}) have used so far, or -1 when the process is gone
   * or {@code /proc} is unreadable; 0 for a process that is not a HotSpot JVM. A benchmark warm-up
   * watches it: while C2 is still compiling, the timed code is not yet the code that runs later.
   */
  public static double compilerCpuSeconds(String pid) {
    Path tasks = Path.of("/proc", pid, "task");
    if (!Files.isDirectory(tasks)) {
      return -1;
    }
    long ticks = 0;
    try (var threads = Files.newDirectoryStream(tasks)) {
      for (Path t : threads) {
        try {
          if (!Files.readString(t.resolve("comm")).contains("CompilerThre")) {
            continue;
          }
          ticks += cpuTicks(t.resolve("stat"));
        } catch (IOException e) {
          // The thread ended between listing and reading (HotSpot retires idle compiler threads).
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return ticks / TICKS_PER_SECOND;
  }

  /** utime + stime clock ticks of a process's or thread's {@code stat} file. */
  private static long cpuTicks(Path stat) throws IOException {
    String line = Files.readString(stat);
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
    // utime 14, stime 15.
    String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * Resets the peak RSS of a process to its current RSS (writes 5 to {@code clear_refs}, Linux
   * 4.0+); false when not permitted.
   */
  public static boolean resetPeak(String pid) {
    try {
      Files.writeString(Path.of("/proc", pid, "clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
