package io.wasmflight.server.internal.flight;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.security.Principal;
import io.wasmflight.server.internal.security.Role;
import io.wasmflight.server.internal.security.UsersFile;
import org.apache.arrow.flight.FlightProducer.CallContext;

/**
 * Who may do what — the one place that decides it (README "Deploying"): {@code register}, {@code
 * unregister} and {@code set-default} need {@code admin}; {@code list}, {@code describe},
 * ListActions, ListFlights, GetFlightInfo, GetSchema and DoExchange need {@code caller} ({@code
 * admin} implies it). A grant may be limited to modules whose names start with a prefix. Without a
 * users file every client is {@link Principal#ANONYMOUS}, admin on everything.
 */
final class AccessPolicy {
  private final UsersFile users; // null: anonymous server

  AccessPolicy(UsersFile users) {
    this.users = users;
  }

  /** The call's principal, as the users file says now. */
  Principal principal(CallContext context) {
    if (users == null) {
      return Principal.ANONYMOUS;
    }
    String name = context.peerIdentity();
    Principal p = name == null || name.isEmpty() ? null : users.byName(name);
    if (p == null) {
      throw new WasmFlightException.Unauthenticated(
          "the credentials of this call belong to no principal of the users file (removed?); "
              + "log in again");
    }
    return p;
  }

  /**
   * The call's principal, if it holds {@code needed} for {@code module} (null: a call not about one
   * module, which any grant of the role allows; listing filters per module).
   */
  Principal require(CallContext context, Role needed, String what, String module) {
    Principal p = principal(context);
    if (module == null ? !mayAny(p, needed) : !p.may(needed, module)) {
      throw new WasmFlightException.Unauthorized(
          what
              + " needs role '"
              + needed.wireName()
              + "'"
              + (module == null ? "" : " for module '" + module + "'")
              + (needed == Role.CALLER ? " (or 'admin')" : "")
              + "; principal '"
              + p.name()
              + "' has "
              + (p.grants().isEmpty() ? "no role" : "'" + p.grantsText() + "'"));
    }
    return p;
  }

  private static boolean mayAny(Principal p, Role needed) {
    return p.grants().stream().anyMatch(g -> g.role().implies(needed));
  }
}
