package io.wasmflight.server.internal.flight;

import io.wasmflight.server.WasmFlightException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * At most {@code perMinute} {@code register} calls per principal in any 60-second window
 * (registration validates, compiles and probes a module: the most expensive action). Over the rate
 * is {@code RESOURCE_EXHAUSTED} saying when to retry. 0 turns it off.
 */
final class RegisterRate {
  private static final long WINDOW_NANOS = 60_000_000_000L;

  private final int perMinute;
  private final LongSupplier clock;
  private final Map<String, Deque<Long>> calls = new HashMap<>();

  RegisterRate(int perMinute) {
    this(perMinute, System::nanoTime);
  }

  RegisterRate(int perMinute, LongSupplier clock) {
    this.perMinute = perMinute;
    this.clock = clock;
  }

  synchronized void acquire(String principal) {
    if (perMinute <= 0) {
      return;
    }
    long now = clock.getAsLong();
    Deque<Long> mine = calls.computeIfAbsent(principal, k -> new ArrayDeque<>());
    while (!mine.isEmpty() && now - mine.peekFirst() >= WINDOW_NANOS) {
      mine.removeFirst();
    }
    if (mine.size() >= perMinute) {
      long waitMs = (WINDOW_NANOS - (now - mine.peekFirst())) / 1_000_000 + 1;
      throw new WasmFlightException.LimitExceeded(
          "principal '"
              + principal
              + "' made "
              + mine.size()
              + " register calls in the last minute, the cap (--register-rate); retry in "
              + waitMs
              + " ms");
    }
    mine.addLast(now);
    calls.values().removeIf(Deque::isEmpty);
  }
}
