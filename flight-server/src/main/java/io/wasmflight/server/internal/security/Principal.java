package io.wasmflight.server.internal.security;

import java.util.List;

/**
 * Who a call runs as: a user of the users file (password login) or one of its API tokens, with the
 * roles granted there. {@link #ANONYMOUS} when the server runs without a users file.
 */
public record Principal(String name, List<Grant> grants) {
  /** Every client of a server without a users file: admin on everything. */
  public static final Principal ANONYMOUS =
      new Principal("anonymous", List.of(new Grant(Role.ADMIN, "")));

  public Principal {
    grants = List.copyOf(grants);
  }

  /** Whether this principal may do what {@code needed} allows on {@code module} (or globally). */
  public boolean may(Role needed, String module) {
    return grants.stream().anyMatch(g -> g.allows(needed, module));
  }

  /** The grants as in the users file: {@code admin,caller@team-a-}. */
  public String grantsText() {
    return String.join(",", grants.stream().map(Grant::toString).toList());
  }
}
