package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.SessionLimits;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.arrow.flight.FlightStream;

/**
 * Watches one exchange from outside its thread and stops it: when the client cancels or goes away,
 * when the session passes its wall-clock time limit, or when the client stalls — neither sends
 * input nor reads output for the stall time while the session waits on it. Stopping sets the cause
 * once, aborts the guest's {@link CallBudget} (a running call stops at once on both engines) and
 * interrupts the session thread wherever it blocks (waiting for input, for the client to read, or
 * for the descriptor). The session then reports {@link #stopCause()}.
 *
 * <p>The interrupt is only ever sent while the session thread is still inside the exchange, and
 * {@link #close()} clears it before the thread goes back to Flight's pool.
 */
public final class SessionWatch implements AutoCloseable {
  private static final ScheduledExecutorService TIMER = timer();

  private static ScheduledExecutorService timer() {
    ScheduledThreadPoolExecutor pool =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "wasm-flight-session-watch");
              t.setDaemon(true);
              return t;
            });
    pool.setRemoveOnCancelPolicy(true);
    return pool;
  }

  /** What the session thread is doing, for the stall rule. */
  public enum Phase {
    /** Waiting for the first message, which must carry the descriptor. */
    DESCRIPTOR,
    /** Waiting for the next input message. */
    INPUT,
    /** Waiting for the client to read buffered output. */
    OUTPUT,
    /** Running the function or the host's copies: bounded by the call time limit instead. */
    WORK
  }

  private final Thread owner = Thread.currentThread();
  private final long startNanos = System.nanoTime();
  private boolean ownerInside = true; // guarded by this
  private volatile WasmFlightException stopped;
  private volatile Phase phase = Phase.DESCRIPTOR;
  private volatile long progressNanos = startNanos;
  private volatile long stallNanos;
  private volatile long sessionNanos; // 0 = no limit
  private volatile CallBudget budget;
  private volatile OutputQueue output;
  private volatile BooleanSupplier firstMessageWithoutDescriptor = () -> false;
  private ScheduledFuture<?> tick; // guarded by this
  private boolean draining; // guarded by this
  private long drainDeadline; // guarded by this
  private volatile long drainProgress;

  /** Discarding stops once no input arrived for this long: the client is not writing. */
  private static final long DRAIN_IDLE_NANOS = 500_000_000L;

  public SessionWatch(Duration stall) {
    this.stallNanos = stall.toNanos();
    schedule();
  }

  /** Applies the session's own limits once the descriptor is parsed. */
  public void limits(SessionLimits limits) {
    stallNanos = limits.stallTimeout().toNanos();
    sessionNanos = limits.sessionTimeout().toNanos();
    schedule();
  }

  /** The guest's time budget, aborted when the session is stopped. */
  public void budget(CallBudget b) {
    budget = b;
    if (stopped != null) {
      b.abort(stopped);
    }
  }

  /** The session's output, whose buffered bytes the stall message reports. */
  void output(OutputQueue q) {
    output = q;
  }

  /** Lets the watch refuse a stream whose first message carried no descriptor. */
  public void whileWaitingForDescriptor(BooleanSupplier noDescriptor) {
    firstMessageWithoutDescriptor = noDescriptor;
  }

  public void phase(Phase p) {
    phase = p;
  }

  /** The session waited this long for the client to read: not the function's time. */
  void waitedForClient(long nanos) {
    CallBudget b = budget;
    if (b != null) {
      b.notCounted(nanos);
    }
  }

  /** The client sent or read something: the stall clock starts again. */
  void progress() {
    progressNanos = System.nanoTime();
  }

  /** Throws the stop cause, if the session was stopped. */
  public void checkStopped() {
    WasmFlightException s = stopped;
    if (s != null) {
      throw s;
    }
  }

  /** Why the session was stopped, or null while it runs. */
  public WasmFlightException stopCause() {
    return stopped;
  }

  /** Stops the session with {@code cause} (the first cause wins). */
  public void stop(WasmFlightException cause) {
    synchronized (this) {
      if (stopped != null) {
        return;
      }
      stopped = cause;
      if (ownerInside) {
        owner.interrupt();
      }
    }
    CallBudget b = budget;
    if (b != null) {
      b.abort(cause);
    }
    OutputQueue q = output;
    if (q != null) {
      q.wake();
    }
  }

  private synchronized void schedule() {
    if (tick != null) {
      tick.cancel(false);
    }
    if (!ownerInside) {
      return;
    }
    long periodMillis = Math.max(5, Math.min(250, stallNanos / 4_000_000));
    if (sessionNanos > 0) {
      periodMillis = Math.max(5, Math.min(periodMillis, sessionNanos / 4_000_000));
    }
    tick =
        TIMER.scheduleWithFixedDelay(
            this::check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  private void check() {
    long now = System.nanoTime();
    synchronized (this) {
      if (draining) {
        if ((now - drainDeadline >= 0 || now - drainProgress >= DRAIN_IDLE_NANOS) && ownerInside) {
          owner.interrupt();
        }
        return;
      }
    }
    if (stopped != null) {
      return;
    }
    if (sessionNanos > 0 && now - startNanos >= sessionNanos) {
      stop(
          new WasmFlightException.TimedOut(
              "the session ran past its time limit of " + sessionNanos / 1_000_000 + " ms"));
      return;
    }
    Phase p = phase;
    if (p == Phase.DESCRIPTOR && firstMessageWithoutDescriptor.getAsBoolean()) {
      stop(
          new WasmFlightException.BadRequest(
              "the exchange's first message carries no "
                  + "FlightDescriptor; a DoExchange starts with the descriptor of the function "
                  + "to call"));
      return;
    }
    if (p == Phase.WORK || now - progressNanos < stallNanos) {
      return;
    }
    long stallMillis = stallNanos / 1_000_000;
    OutputQueue q = output;
    long buffered = q == null ? 0 : q.bufferedBytes();
    String detail =
        switch (p) {
          case DESCRIPTOR ->
              "the client sent no descriptor for "
                  + stallMillis
                  + " ms (the stall "
                  + "time limit)";
          case OUTPUT ->
              "the client is not reading the output: "
                  + buffered
                  + " bytes of output "
                  + "are buffered (the session's output budget is "
                  + q.budgetBytes()
                  + " bytes) and "
                  + "the client read nothing for "
                  + stallMillis
                  + " ms (the stall time limit); read "
                  + "the output while writing the input (proto-docs/flight-protocol.md, \"Client "
                  + "patterns\")";
          default ->
              buffered > 0
                  ? "the client neither sent input nor read output for "
                      + stallMillis
                      + " ms (the "
                      + "stall time limit) with "
                      + buffered
                      + " bytes of output waiting; read the "
                      + "output while writing the input (proto-docs/flight-protocol.md, \"Client "
                      + "patterns\")"
                  : "the client sent no input for "
                      + stallMillis
                      + " ms (the stall time limit); "
                      + "finish writing (done_writing) or cancel the exchange";
        };
    stop(new WasmFlightException.ClientStalled(detail));
  }

  /**
   * Reads and drops the rest of a failed session's input before the error is sent, while the client
   * keeps writing (until 500 ms pass without input, and for at most the stall time). A client still
   * writing (pyarrow's {@code write_table} of a large table) is blocked on flow control once the
   * server stops reading; gRPC-Java does not reset the stream after its status, so without this
   * that client would never see the error. A client waiting to read gets the error after the idle
   * gap.
   */
  public void discardInput(FlightStream reader) {
    Thread.interrupted(); // the stop's interrupt was for the work that just ended
    synchronized (this) {
      draining = true;
      drainDeadline = System.nanoTime() + stallNanos;
      drainProgress = System.nanoTime();
      if (tick != null) {
        tick.cancel(false);
      }
      tick = TIMER.scheduleWithFixedDelay(this::check, 50, 50, TimeUnit.MILLISECONDS);
    }
    try {
      while (reader.next()) {
        drainProgress = System.nanoTime(); // dropped: the session has failed
      }
    } catch (RuntimeException e) {
      // The deadline passed, or the input cannot be read: stop discarding either way.
    } finally {
      synchronized (this) {
        draining = false;
      }
      Thread.interrupted();
    }
  }

  /** Ends the watch; called by the session thread, which leaves with no interrupt pending. */
  @Override
  public void close() {
    synchronized (this) {
      ownerInside = false;
      if (tick != null) {
        tick.cancel(false);
      }
    }
    if (Thread.currentThread() == owner) {
      Thread.interrupted();
    }
  }
}
