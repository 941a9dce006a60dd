package io.wasmflight.server.internal.flight;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.security.Principal;
import io.wasmflight.server.internal.security.UsersFile;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.auth2.BasicCallHeaderAuthenticator;
import org.apache.arrow.flight.auth2.CallHeaderAuthenticator;
import org.apache.arrow.flight.auth2.GeneratedBearerTokenAuthenticator;

/**
 * Flight's own header authentication over the users file, so stock clients work unchanged: {@code
 * authorization: Basic …} (the handshake of {@code authenticate_basic_token} / {@code
 * authenticateBasicToken}) checks a user's password and answers with a generated bearer token,
 * valid until it goes unused for two hours; {@code authorization: Bearer …} carries such a token or
 * one of the file's API tokens. The call's peer identity is the principal's name; {@link
 * AccessPolicy} looks its roles up in the file as it is at the time of the call.
 */
final class FlightAuthenticator implements CallHeaderAuthenticator {
  private static final String HOW =
      "send 'authorization: Bearer <token>' or log in with basic auth (Flight handshake)";

  private final CallHeaderAuthenticator delegate;

  FlightAuthenticator(UsersFile users) {
    BasicCallHeaderAuthenticator basic =
        new BasicCallHeaderAuthenticator(
            (name, password) -> {
              Principal p = users.login(name, password);
              if (p == null) {
                throw refused("wrong user name or password");
              }
              return p::name;
            });
    this.delegate =
        new GeneratedBearerTokenAuthenticator(basic) {
          @Override
          protected AuthResult validateBearer(String token) {
            Principal p = users.byToken(token);
            if (p != null) {
              return p::name;
            }
            try {
              return super.validateBearer(token);
            } catch (FlightRuntimeException e) {
              throw refused("unknown or expired bearer token; " + HOW);
            }
          }
        };
  }

  @Override
  public AuthResult authenticate(CallHeaders headers) {
    if (!headers.containsKey("authorization")) {
      throw refused("this server requires authentication: " + HOW);
    }
    try {
      return delegate.authenticate(headers);
    } catch (FlightRuntimeException e) {
      if (e.status().code() == CallStatus.UNAUTHENTICATED.code()
          && (e.status().description() == null || e.status().description().isEmpty())) {
        throw refused("malformed or unsupported authorization header; " + HOW);
      }
      throw e;
    }
  }

  private static FlightRuntimeException refused(String detail) {
    return ErrorMapping.toFlight(new WasmFlightException.Unauthenticated(detail));
  }
}
