package io.wasmflight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.Test;

/** The status-to-exit-code table of README "Command line", message kinds from errors.md. */
class ExitCodeTest {
  @Test
  void everyDocumentedKindMaps() {
    assertEquals(ExitCode.USAGE, ExitCode.of(FlightStatusCode.INVALID_ARGUMENT, "bad request: x"));
    assertEquals(
        ExitCode.BAD_INPUT, ExitCode.of(FlightStatusCode.INVALID_ARGUMENT, "module rejected: x"));
    assertEquals(
        ExitCode.BAD_INPUT,
        ExitCode.of(
            FlightStatusCode.INVALID_ARGUMENT,
            "bad request: Arrow Java cannot read the input stream: x"));
    assertEquals(
        ExitCode.GUEST_ERROR,
        ExitCode.of(FlightStatusCode.INVALID_ARGUMENT, "input rejected by guest in m/f: x"));
    assertEquals(ExitCode.NOT_FOUND, ExitCode.of(FlightStatusCode.NOT_FOUND, "not found: x"));
    assertEquals(
        ExitCode.LIMIT, ExitCode.of(FlightStatusCode.RESOURCE_EXHAUSTED, "limit exceeded: x"));
    assertEquals(
        ExitCode.GUEST_ERROR,
        ExitCode.of(FlightStatusCode.RESOURCE_EXHAUSTED, "guest out of memory in m/f: x"));
    assertEquals(ExitCode.LIMIT, ExitCode.of(FlightStatusCode.TIMED_OUT, "client stalled: x"));
    assertEquals(ExitCode.GUEST_ERROR, ExitCode.of(FlightStatusCode.INTERNAL, "trap in m/f: x"));
    assertEquals(ExitCode.GUEST_ERROR, ExitCode.of(FlightStatusCode.INTERNAL, "guest error: x"));
    assertEquals(ExitCode.GUEST_ERROR, ExitCode.of(FlightStatusCode.INTERNAL, "ABI violation: x"));
    assertEquals(
        ExitCode.OTHER, ExitCode.of(FlightStatusCode.INTERNAL, "internal server error (X)"));
    assertEquals(ExitCode.UNAVAILABLE, ExitCode.of(FlightStatusCode.UNAVAILABLE, null));
    assertEquals(ExitCode.OTHER, ExitCode.of(FlightStatusCode.CANCELLED, "cancelled"));
  }
}
