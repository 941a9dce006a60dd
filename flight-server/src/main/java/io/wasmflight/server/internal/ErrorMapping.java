package io.wasmflight.server.internal;

import io.wasmflight.server.WasmFlightException;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where server failures become Flight status codes (the table in
 * {@code proto-docs/errors.md}). Only the message crosses the wire; stack traces stay in the log.
 */
public final class ErrorMapping {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

  private ErrorMapping() {}

  /** The Flight status code for a failure class. */
  static CallStatus status(WasmFlightException e) {
    return switch (e) {
      case WasmFlightException.BadRequest x -> CallStatus.INVALID_ARGUMENT;
      case WasmFlightException.ModuleRejected x -> CallStatus.INVALID_ARGUMENT;
      case WasmFlightException.GuestRejectedInput x -> CallStatus.INVALID_ARGUMENT;
      case WasmFlightException.NotFound x -> CallStatus.NOT_FOUND;
      case WasmFlightException.Unsupported x -> CallStatus.UNIMPLEMENTED;
      case WasmFlightException.LimitExceeded x -> CallStatus.RESOURCE_EXHAUSTED;
      case WasmFlightException.GuestOutOfMemory x -> CallStatus.RESOURCE_EXHAUSTED;
      case WasmFlightException.GuestError x -> CallStatus.INTERNAL;
      case WasmFlightException.GuestTrap x -> CallStatus.INTERNAL;
      case WasmFlightException.AbiViolation x -> CallStatus.INTERNAL;
      case WasmFlightException.Cancelled x -> CallStatus.CANCELLED;
      case WasmFlightException.TimedOut x -> CallStatus.TIMED_OUT;
      case WasmFlightException.ClientStalled x -> CallStatus.TIMED_OUT;
    };
  }

  /**
   * Converts anything thrown while serving a call. Flight exceptions pass through; our own carry
   * their message; anything else is logged with its stack trace and reported as a generic
   * INTERNAL error.
   */
  public static FlightRuntimeException toFlight(Throwable t) {
    if (t instanceof FlightRuntimeException f) {
      return f;
    }
    if (t instanceof WasmFlightException e) {
      if (e.getCause() != null) {
        LOG.debug("{}", e.getMessage(), e);
      }
      return status(e).withDescription(e.getMessage()).toRuntimeException();
    }
    LOG.error("internal error", t);
    return CallStatus.INTERNAL
        .withDescription("internal server error (" + t.getClass().getSimpleName()
            + "); see the server log")
        .toRuntimeException();
  }
}
