package io.wasmflight.server.internal.guest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The call deadline holds however the session's one alarm was armed: by this call, by an earlier
 * call whose deadline came first, or lapsed between calls.
 */
class CallBudgetTest {
  private static final long LIMIT_MS = 100;

  /** Runs a "call" that sleeps until interrupted; returns how long it ran, in ms. */
  private static long overrunningCall(CallBudget b) {
    long start = System.nanoTime();
    b.begin();
    try {
      Thread.sleep(10_000);
      throw new AssertionError("the call was not interrupted");
    } catch (InterruptedException expected) {
      assertTrue(b.expired());
    } finally {
      b.end();
    }
    assertFalse(Thread.currentThread().isInterrupted(), "end() clears the interrupt");
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static void shortCall(CallBudget b) {
    b.begin();
    b.end();
    assertFalse(b.expired());
  }

  @Test
  void anOverrunningCallIsStoppedAtItsDeadline() {
    CallBudget b = new CallBudget(Duration.ofMillis(LIMIT_MS), Duration.ZERO);
    long ms = overrunningCall(b);
    assertTrue(ms >= LIMIT_MS && ms < 5_000, ms + " ms");
    WasmFlightException e = b.timedOut();
    assertTrue(e.getMessage().contains("a call ran past its time limit of 100 ms"), e.getMessage());
    b.close();
  }

  @Test
  void aCallGetsItsWholeLimitWhenTheAlarmWasArmedForAnEarlierCall() throws Exception {
    CallBudget b = new CallBudget(Duration.ofMillis(LIMIT_MS), Duration.ZERO);
    shortCall(b); // arms the alarm for now + 100 ms
    Thread.sleep(60);
    // The alarm fires ~40 ms into this call, before its deadline: it must re-arm, not stop it.
    long ms = overrunningCall(b);
    assertTrue(ms >= LIMIT_MS && ms < 5_000, ms + " ms");
    b.close();
  }

  @Test
  void aCallAfterTheAlarmLapsedIsStillTimed() throws Exception {
    CallBudget b = new CallBudget(Duration.ofMillis(LIMIT_MS), Duration.ZERO);
    for (int i = 0; i < 1_000; i++) {
      shortCall(b);
    }
    Thread.sleep(2 * LIMIT_MS); // the alarm fires with no call running and lapses
    long ms = overrunningCall(b);
    assertTrue(ms >= LIMIT_MS && ms < 5_000, ms + " ms");
    shortCall(b); // a call after a timeout starts clean
    b.close();
  }

  @Test
  void theSessionLimitStopsACallBeforeItsOwnLimit() throws Exception {
    CallBudget b = new CallBudget(Duration.ofSeconds(30), Duration.ofMillis(LIMIT_MS));
    long ms = overrunningCall(b);
    assertTrue(ms < 5_000, ms + " ms");
    assertTrue(b.timedOut().getMessage().contains("session ran past its time limit"));
    WasmFlightException after = assertThrows(WasmFlightException.class, b::begin);
    assertTrue(after.getMessage().contains("session ran past its time limit"), after.getMessage());
    b.close();
  }
}
