package io.wasmflight.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows and megabytes of a call on stderr: on a terminal a line rewritten four times a second, and
 * always a summary at the end; nothing with {@code --quiet}. Whether stderr is a terminal comes
 * from the launcher ({@code -Dwasmflight.stderr.tty=1}, set by {@code scripts/wasm-flight} with
 * {@code [ -t 2 ]}), since Java 21 cannot tell a redirected stderr from a terminal.
 */
final class Progress implements AutoCloseable {
  static final long TICK_MS = 250;

  private final PrintWriter err;
  private final boolean quiet;
  private final boolean live;
  private final String label;
  private final long start = System.nanoTime();
  private final AtomicLong rowsIn = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong rowsOut = new AtomicLong();
  private final Thread ticker;
  private volatile boolean done;

  Progress(PrintWriter err, boolean quiet, String label) {
    this.err = err;
    this.quiet = quiet;
    this.label = label;
    this.live = !quiet && stderrIsTerminal();
    this.ticker = live ? Thread.ofPlatform().daemon().name("progress").start(this::tick) : null;
  }

  static boolean stderrIsTerminal() {
    String p = System.getProperty("wasmflight.stderr.tty");
    return p != null ? p.equals("1") || p.equals("true") : false;
  }

  static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  void input(long rows, long bytes) {
    rowsIn.addAndGet(rows);
    bytesIn.addAndGet(bytes);
  }

  void output(long rows) {
    rowsOut.addAndGet(rows);
  }

  long rowsIn() {
    return rowsIn.get();
  }

  long rowsOut() {
    return rowsOut.get();
  }

  private void tick() {
    while (!done) {
      try {
        Thread.sleep(TICK_MS);
      } catch (InterruptedException e) {
        return;
      }
      synchronized (err) {
        if (!done) {
          err.print("\r" + line() + "\u001b[K");
          err.flush();
        }
      }
    }
  }

  /** "label: N rows in (X MB, Y MB/s), M rows out, T s". */
  String line() {
    double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
    long bytes = bytesIn.get();
    return String.format(
        Locale.ROOT,
        "%s: %,d rows in (%s, %.1f MB/s), %,d rows out, %.1f s",
        label,
        rowsIn.get(),
        megabytes(bytes),
        bytes / 1e6 / seconds,
        rowsOut.get(),
        seconds);
  }

  /** Stops the live line and prints the summary (unless quiet). */
  @Override
  public void close() {
    done = true;
    if (ticker != null) {
      ticker.interrupt();
    }
    if (quiet) {
      return;
    }
    synchronized (err) {
      err.print((live ? "\r" : "") + line() + (live ? "\u001b[K" : "") + "\n");
      err.flush();
    }
  }
}
