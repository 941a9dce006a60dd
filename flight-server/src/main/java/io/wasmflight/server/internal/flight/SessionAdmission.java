package io.wasmflight.server.internal.flight;

import io.wasmflight.server.WasmFlightException;
import java.util.HashMap;
import java.util.Map;

/**
 * Admission of DoExchange sessions, before any guest is instantiated: caps on the sessions open at
 * once (in total and per principal) and on the guest memory they may reach together (each session's
 * memory cap, pages × 64 KiB, reserved for its whole life). A refusal is {@code RESOURCE_EXHAUSTED}
 * naming the numbers; the server never promises more guest memory than the operator allowed. 0
 * turns a cap off.
 */
final class SessionAdmission {
  private final int maxSessions;
  private final int maxPerPrincipal;
  private final long maxMemoryBytes;
  private final Map<String, Integer> perPrincipal = new HashMap<>();
  private int sessions;
  private long reservedBytes;

  SessionAdmission(int maxSessions, int maxPerPrincipal, long maxMemoryBytes) {
    this.maxSessions = maxSessions;
    this.maxPerPrincipal = maxPerPrincipal;
    this.maxMemoryBytes = maxMemoryBytes;
  }

  /** An admitted session; {@link #close()} (idempotent) gives its share back. */
  final class Ticket implements AutoCloseable {
    private final String principal;
    private final long bytes;
    private boolean closed;

    private Ticket(String principal, long bytes) {
      this.principal = principal;
      this.bytes = bytes;
    }

    @Override
    public void close() {
      synchronized (SessionAdmission.this) {
        if (closed) {
          return;
        }
        closed = true;
        sessions--;
        reservedBytes -= bytes;
        perPrincipal.merge(principal, -1, (a, b) -> a + b == 0 ? null : a + b);
      }
    }
  }

  /**
   * Admits a session of {@code principal} that may use up to {@code memoryBytes} of guest memory.
   */
  synchronized Ticket admit(String principal, long memoryBytes) {
    if (maxSessions > 0 && sessions >= maxSessions) {
      throw new WasmFlightException.LimitExceeded(
          "the server has "
              + sessions
              + " sessions open, its cap (--max-sessions); try again when one ends");
    }
    int mine = perPrincipal.getOrDefault(principal, 0);
    if (maxPerPrincipal > 0 && mine >= maxPerPrincipal) {
      throw new WasmFlightException.LimitExceeded(
          "principal '"
              + principal
              + "' has "
              + mine
              + " sessions open, the cap per principal (--max-sessions-per-principal)");
    }
    if (maxMemoryBytes > 0 && reservedBytes + memoryBytes > maxMemoryBytes) {
      throw new WasmFlightException.LimitExceeded(
          "guest memory: this session may use up to "
              + mib(memoryBytes)
              + " MiB, open sessions hold "
              + mib(reservedBytes)
              + " MiB of the server's "
              + mib(maxMemoryBytes)
              + " MiB (--max-guest-memory-mb); ask for less with limits.max_memory_pages or try "
              + "again when a session ends");
    }
    sessions++;
    reservedBytes += memoryBytes;
    perPrincipal.put(principal, mine + 1);
    return new Ticket(principal, memoryBytes);
  }

  /** Sessions open now. */
  synchronized int sessions() {
    return sessions;
  }

  /** Guest memory reserved by the open sessions, in bytes. */
  synchronized long reservedBytes() {
    return reservedBytes;
  }

  private static String mib(long bytes) {
    return bytes % (1 << 20) == 0
        ? Long.toString(bytes >> 20)
        : String.format(java.util.Locale.ROOT, "%.2f", bytes / 1048576.0);
  }
}
