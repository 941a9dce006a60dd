package io.wasmflight.server.internal.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Session admission and the register rate: what they count and what they say when they refuse. */
class QuotasTest {
  static final long MIB = 1 << 20;

  @Test
  void admissionCountsSessionsAndMemoryAndReleasesOnce() {
    SessionAdmission a = new SessionAdmission(3, 2, 40 * MIB);
    SessionAdmission.Ticket t1 = a.admit("p", 16 * MIB);
    SessionAdmission.Ticket t2 = a.admit("p", 16 * MIB);
    String perPrincipal =
        assertThrows(WasmFlightException.LimitExceeded.class, () -> a.admit("p", 0)).getMessage();
    assertTrue(perPrincipal.contains("principal 'p' has 2 sessions open"), perPrincipal);
    String memory =
        assertThrows(WasmFlightException.LimitExceeded.class, () -> a.admit("q", 16 * MIB))
            .getMessage();
    assertTrue(
        memory.contains("up to 16 MiB, open sessions hold 32 MiB of the server's 40 MiB"), memory);
    SessionAdmission.Ticket t3 = a.admit("q", 8 * MIB);
    String total =
        assertThrows(WasmFlightException.LimitExceeded.class, () -> a.admit("r", 0)).getMessage();
    assertTrue(total.contains("the server has 3 sessions open"), total);
    t1.close();
    t1.close(); // idempotent
    assertEquals(2, a.sessions());
    assertEquals(24 * MIB, a.reservedBytes());
    t2.close();
    t3.close();
    assertEquals(0, a.sessions());
    assertEquals(0, a.reservedBytes());
    new SessionAdmission(0, 0, 0).admit("p", Long.MAX_VALUE / 2).close(); // caps off
  }

  @Test
  void registerRateIsASlidingMinutePerPrincipal() {
    AtomicLong now = new AtomicLong();
    RegisterRate r = new RegisterRate(2, now::get);
    r.acquire("a");
    now.addAndGet(30_000_000_000L);
    r.acquire("a");
    r.acquire("b");
    String m =
        assertThrows(WasmFlightException.LimitExceeded.class, () -> r.acquire("a")).getMessage();
    assertTrue(
        m.contains("made 2 register calls in the last minute") && m.contains("retry in 30001 ms"),
        m);
    now.addAndGet(30_000_000_000L); // the first call left the window
    r.acquire("a");
  }
}
