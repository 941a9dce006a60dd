package io.wasmflight.server.internal.guest;

import io.wasmflight.server.WasmFlightException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * CPU-time limits of one instance's guest calls: a deadline per call and, optionally, one for the
 * whole session. When a deadline passes, a shared watchdog thread marks the budget expired and
 * interrupts the calling thread: compiled code checks interruption at backward jumps and calls; the
 * interpreter, which does not check inside {@code loop ... br_if}, polls {@link #expired()} from an
 * execution listener. The interrupt is always cleared before the calling thread goes back to
 * Flight.
 *
 * <p>A call does not schedule and cancel an alarm of its own: that took the shared watchdog's queue
 * lock twice per call. A call sets its deadline; the session keeps at most one alarm queued, armed
 * for the earliest deadline it has seen. When the alarm fires before the running call's deadline
 * (it was armed for an earlier call), it re-arms for what is left; when no call is running, it
 * lapses and the next call arms a new one. With the default limits a session's calls thus share one
 * alarm every 30 s. {@link #close} cancels it when the session ends.
 */
public final class CallBudget {
  /**
   * Cancelled alarms are removed at once, or every call would leave one queued until its deadline.
   */
  private static final ScheduledExecutorService WATCHDOG = watchdog();

  private static ScheduledExecutorService watchdog() {
    ScheduledThreadPoolExecutor pool =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "wasm-flight-watchdog");
              t.setDaemon(true);
              return t;
            });
    pool.setRemoveOnCancelPolicy(true);
    return pool;
  }

  private final long callNanos;
  private final long sessionNanos;
  private final long sessionDeadline;
  private volatile boolean expired;

  /** Set when the session is stopped from outside (cancel, stall, session time): final. */
  private volatile WasmFlightException aborted;

  private boolean sessionLimitHit;
  private Thread caller;
  private boolean inCall;
  // A group: the calls one input batch (or finish) takes together share the call limit.
  private boolean grouped;
  private boolean groupLimitHit;
  private long groupStart;
  private volatile long groupExcluded;
  // Guarded by this: the running call's deadline (System.nanoTime), and the queued alarm's.
  private long callDeadline;
  private ScheduledFuture<?> alarm;
  private long alarmAt;
  private long alarmGeneration; // a replaced alarm that fires anyway finds a newer generation
  private boolean closed;

  /**
   * @param call limit of one call (per batch)
   * @param session limit of all calls and host work of the session, or {@link Duration#ZERO} for
   *     none; counted from now
   */
  public CallBudget(Duration call, Duration session) {
    this.callNanos = call.toNanos();
    this.sessionNanos = session.toNanos();
    this.sessionDeadline = session.isZero() ? Long.MAX_VALUE : System.nanoTime() + sessionNanos;
  }

  /** True once the current call's deadline has passed. */
  public boolean expired() {
    return expired;
  }

  /** Arms the watchdog for one call; every {@code begin} is followed by {@link #end}. */
  void begin() {
    begin(Long.MAX_VALUE);
  }

  /** As {@link #begin()}, but the call may take at most {@code capNanos}. */
  void begin(long capNanos) {
    if (aborted != null) {
      throw aborted;
    }
    long now = System.nanoTime();
    if (now - sessionDeadline >= 0) {
      sessionLimitHit = true;
      throw timedOut();
    }
    // In a group, the call gets what is left of the group's limit.
    long callLimit = grouped ? callNanos - (now - groupStart - groupExcluded) : callNanos;
    if (callLimit <= 0) {
      sessionLimitHit = false;
      groupLimitHit = true;
      throw timedOut();
    }
    long wait = Math.min(Math.min(callLimit, capNanos), sessionDeadline - now);
    sessionLimitHit = wait < Math.min(callLimit, capNanos);
    groupLimitHit = grouped && !sessionLimitHit && callLimit <= capNanos;
    synchronized (this) {
      caller = Thread.currentThread();
      inCall = true;
      expired = false;
      callDeadline = now + wait;
      if (alarm == null || alarmAt - callDeadline > 0) {
        arm(callDeadline, now);
      }
    }
    if (aborted != null) {
      // abort() ran between the check above and arming: do not start a call it missed.
      end();
      throw aborted;
    }
  }

  /**
   * Stops the session's guest for good: a running call is interrupted (compiled code) or sees
   * {@link #expired()} (interpreter) and fails with {@code cause}, and so does every later call.
   */
  public synchronized void abort(WasmFlightException cause) {
    if (aborted != null) {
      return;
    }
    aborted = cause;
    if (inCall) {
      expired = true;
      caller.interrupt();
    }
  }

  /** Queues the session's one alarm for {@code at}, replacing a later one. Holds this. */
  private void arm(long at, long now) {
    if (closed) {
      return;
    }
    if (alarm != null) {
      alarm.cancel(false);
    }
    alarmAt = at;
    long generation = ++alarmGeneration;
    alarm = WATCHDOG.schedule(() -> fire(generation), Math.max(0, at - now), TimeUnit.NANOSECONDS);
  }

  private synchronized void fire(long generation) {
    if (generation != alarmGeneration || alarm == null) {
      return; // replaced or cancelled after it started
    }
    alarm = null;
    if (!inCall) {
      return; // the call it was armed for ended: the next call arms again
    }
    long now = System.nanoTime();
    if (now - callDeadline >= 0) {
      expired = true;
      caller.interrupt();
    } else {
      arm(callDeadline, now); // armed for an earlier call: wait for this one's deadline
    }
  }

  /** Ends the call (its alarm stays queued for the next call) and clears an interrupt it raised. */
  void end() {
    synchronized (this) {
      inCall = false;
      caller = null;
    }
    if (expired) {
      Thread.interrupted();
    }
  }

  /** The session is over: cancels its queued alarm. Calls after this are not timed out. */
  public synchronized void close() {
    closed = true;
    if (alarm != null) {
      alarm.cancel(false);
      alarm = null;
    }
  }

  /**
   * Starts a group of calls that share one call limit: the calls for one input batch of a table
   * function (continuations after {@code WF_MORE} included), or a whole {@code finish}. The group's
   * time is the wall-clock time since it started — guest calls and the host's work on their output
   * — less the time spent waiting for the client to read ({@link #notCounted}).
   */
  public void startGroup() {
    groupStart = System.nanoTime();
    groupExcluded = 0;
    grouped = true;
  }

  /** Time the session waited for the client, which no group limit counts. */
  @SuppressWarnings("NonAtomicVolatileUpdate") // one writer: the session's thread
  public void notCounted(long nanos) {
    if (grouped) {
      groupExcluded += nanos;
    }
  }

  /** Ends the group: each call has its own limit again. */
  public void endGroup() {
    grouped = false;
  }

  /** The error for the limit that was hit. */
  WasmFlightException timedOut() {
    if (aborted != null) {
      return aborted;
    }
    return sessionLimitHit
        ? new WasmFlightException.TimedOut(
            "the session ran past its time limit of "
                + sessionNanos / 1_000_000
                + " ms; the guest was stopped")
        : groupLimitHit
            ? new WasmFlightException.TimedOut(
                "the function's work on one batch (its calls and "
                    + "their output, continuations after WF_MORE included) ran past the call time "
                    + "limit "
                    + "of "
                    + callNanos / 1_000_000
                    + " ms; the guest was stopped")
            : new WasmFlightException.TimedOut(
                "a call ran past its time limit of "
                    + callNanos / 1_000_000
                    + " ms; the guest was stopped");
  }
}
