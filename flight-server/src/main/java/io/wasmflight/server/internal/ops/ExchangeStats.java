package io.wasmflight.server.internal.ops;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What one exchange did, recorded as it runs: the session counts the batches, rows and bytes that
 * pass (each also moves the server's counters at once, so a scrape during a long exchange sees
 * them), and the Flight layer ends it with an outcome, which writes the exchange's log line and its
 * duration. Thread-safe: output is counted on whichever thread sends it.
 */
public final class ExchangeStats {
  /** How an exchange ended. */
  public enum Outcome {
    OK,
    ERROR,
    CANCELLED;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final ServerMetrics metrics;
  private final long startNanos = System.nanoTime();
  private final AtomicLong batchesIn = new AtomicLong();
  private final AtomicLong rowsIn = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong batchesOut = new AtomicLong();
  private final AtomicLong rowsOut = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private volatile String function;
  private volatile String engine;
  private volatile LongSupplier memory;
  private boolean finished;

  ExchangeStats(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  /** The function once the descriptor is resolved: "module/function", and the engine's name. */
  public void function(String moduleAndFunction, String engineName) {
    this.function = moduleAndFunction;
    this.engine = engineName;
  }

  /** The guest memory this exchange holds while it runs (null: none, or not any more). */
  public void memory(LongSupplier bytes) {
    this.memory = bytes;
  }

  long memoryBytes() {
    LongSupplier m = memory;
    return m == null ? 0 : m.getAsLong();
  }

  /** One input batch read. */
  public void input(long rows, long bytes) {
    batchesIn.incrementAndGet();
    rowsIn.addAndGet(rows);
    bytesIn.addAndGet(bytes);
    metrics.input(rows, bytes);
  }

  /** One output batch sent. */
  public void output(long rows, long bytes) {
    batchesOut.incrementAndGet();
    rowsOut.addAndGet(rows);
    bytesOut.addAndGet(bytes);
    metrics.output(rows, bytes);
  }

  public long rowsIn() {
    return rowsIn.get();
  }

  public long rowsOut() {
    return rowsOut.get();
  }

  /**
   * Ends the exchange (once; later calls do nothing): the metrics and one log line.
   *
   * @param kind the error kind ({@link ServerMetrics#kindLabel}) for an error or cancellation, else
   *     null
   * @param message the error's message for the log, else null
   */
  public void finish(Outcome outcome, String kind, String message) {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
    }
    memory = null;
    long nanos = System.nanoTime() - startNanos;
    metrics.finished(this, outcome, kind, nanos);
    StringBuilder line = new StringBuilder(160);
    line.append("exchange ").append(function == null ? "-" : function);
    line.append(" engine=").append(engine == null ? "-" : engine);
    line.append(" outcome=").append(outcome.label());
    if (kind != null) {
      line.append(" kind=").append(kind);
    }
    line.append(" rows_in=").append(rowsIn.get());
    line.append(" rows_out=").append(rowsOut.get());
    line.append(" batches_in=").append(batchesIn.get());
    line.append(" batches_out=").append(batchesOut.get());
    line.append(" bytes_in=").append(bytesIn.get());
    line.append(" bytes_out=").append(bytesOut.get());
    line.append(" ms=").append(TimeUnit.NANOSECONDS.toMillis(nanos));
    if (message != null) {
      line.append(" error=\"").append(oneLine(message)).append('"');
    }
    ServerMetrics.EXCHANGE_LOG.info("{}", line);
  }

  String function() {
    return function;
  }

  String engine() {
    return engine;
  }

  /** The message on one line, with quotes and backslashes escaped. */
  private static String oneLine(String m) {
    StringBuilder out = new StringBuilder(m.length());
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
