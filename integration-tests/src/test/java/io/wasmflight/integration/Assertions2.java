package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.function.Executable;

/** Status-code assertions for Flight calls. */
final class Assertions2 {
  private Assertions2() {}

  /** Asserts the call fails with {@code code} and a message containing every fragment. */
  static FlightRuntimeException assertFlightError(
      FlightStatusCode code, Executable call, String... fragments) {
    FlightRuntimeException e = assertThrows(FlightRuntimeException.class, call);
    assertEquals(code, e.status().code(), () -> "status of: " + e.getMessage());
    for (String f : fragments) {
      assertTrue(
          e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
    assertTrue(!e.getMessage().contains("\tat "), "a stack trace reached the client");
    return e;
  }
}
