package io.wasmflight.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of a process from {@code /proc/<pid>/status} (Linux only). */
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
