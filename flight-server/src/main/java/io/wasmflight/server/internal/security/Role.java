package io.wasmflight.server.internal.security;

import java.util.Locale;

/** What a principal may do. {@code admin} implies {@code caller}. */
public enum Role {
  /** list, describe, discovery (ListFlights, GetFlightInfo, GetSchema) and DoExchange. */
  CALLER,
  /** register and unregister, and everything a caller may do. */
  ADMIN;

  /** The name in the users file and in messages. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether holding this role grants {@code needed}. */
  public boolean implies(Role needed) {
    return this == ADMIN || this == needed;
  }

  static Role parse(String s) {
    for (Role r : values()) {
      if (r.wireName().equals(s)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + s + "' (use admin or caller)");
  }
}
