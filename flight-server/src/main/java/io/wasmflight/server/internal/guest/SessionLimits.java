package io.wasmflight.server.internal.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

/**
 * The limits of one session: the server's, lowered by what the exchange's descriptor asks for
 * ({@code "limits": {"max_memory_pages", "call_timeout_ms", "session_timeout_ms",
 * "stall_timeout_ms"}}). Asking for more than the server allows is refused, never silently clamped.
 *
 * @param sessionTimeout the whole session's wall-clock limit, {@link Duration#ZERO} for none
 * @param stallTimeout how long the session waits on a client that neither writes nor reads
 */
public record SessionLimits(
    int memoryPages, Duration callTimeout, Duration sessionTimeout, Duration stallTimeout) {
  private static final Set<String> KEYS =
      Set.of("max_memory_pages", "call_timeout_ms", "session_timeout_ms", "stall_timeout_ms");

  /** No time limit may ask for more than a year: every accepted value then fits in nanoseconds. */
  static final long MAX_MILLIS = 365L * 24 * 3600 * 1000;

  public static SessionLimits of(ServerConfig config) {
    return new SessionLimits(
        config.maxMemoryPages(),
        config.callTimeout(),
        config.sessionTimeout(),
        config.stallTimeout());
  }

  /** The server's limits lowered by {@code asked} (the descriptor's "limits" object, or null). */
  public static SessionLimits resolve(JsonNode asked, ServerConfig config) {
    SessionLimits server = of(config);
    if (asked == null || asked.isNull()) {
      return server;
    }
    if (!asked.isObject()) {
      throw bad("'limits' must be a JSON object");
    }
    for (Iterator<String> it = asked.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw bad(
            "'limits' has unknown field '"
                + key
                + "'; allowed: call_timeout_ms, max_memory_pages, session_timeout_ms, "
                + "stall_timeout_ms");
      }
    }
    ObjectNode o = (ObjectNode) asked;
    int pages = (int) lower(o, "max_memory_pages", server.memoryPages());
    Duration call = Duration.ofMillis(lower(o, "call_timeout_ms", server.callTimeout().toMillis()));
    long serverSession = server.sessionTimeout().toMillis(); // 0 = no limit
    Duration session = server.sessionTimeout();
    if (o.has("session_timeout_ms")) {
      session =
          Duration.ofMillis(
              lower(o, "session_timeout_ms", serverSession == 0 ? MAX_MILLIS : serverSession));
    }
    Duration stall =
        Duration.ofMillis(lower(o, "stall_timeout_ms", server.stallTimeout().toMillis()));
    return new SessionLimits(pages, call, session, stall);
  }

  private static long lower(ObjectNode o, String key, long serverMax) {
    JsonNode v = o.get(key);
    if (v == null) {
      return serverMax;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 1) {
      throw bad("'limits." + key + "' must be a positive integer, got " + v);
    }
    if (v.asLong() > serverMax && serverMax == MAX_MILLIS) {
      throw bad(
          "'limits."
              + key
              + "' asks for "
              + v.asLong()
              + " ms; the largest accepted "
              + "value is "
              + MAX_MILLIS
              + " (a year)");
    }
    if (v.asLong() > serverMax) {
      throw bad(
          "'limits."
              + key
              + "' asks for "
              + v.asLong()
              + ", more than the server allows ("
              + serverMax
              + ")");
    }
    return v.asLong();
  }

  private static WasmFlightException bad(String detail) {
    return new WasmFlightException.BadRequest("descriptor command " + detail);
  }

  /** A fresh time budget for a session starting now. */
  public CallBudget budget() {
    return new CallBudget(callTimeout, sessionTimeout);
  }
}
