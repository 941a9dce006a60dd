package io.wasmflight.cli;

import org.apache.arrow.flight.FlightStatusCode;

/**
 * The CLI's exit codes, which scripts may rely on, and the one place where a Flight status becomes
 * one of them. README "Command line" documents the table.
 */
public enum ExitCode {
  OK(0),
  /** Anything not covered below (an internal server error, a bug, an I/O error on an output). */
  OTHER(1),
  /** A malformed command line, or a request the server refused as malformed. */
  USAGE(2),
  /** No such module or function on the server, or no such input file. */
  NOT_FOUND(3),
  /** The input (a file, a module) was refused: unreadable, of an unsupported type, not wasm. */
  BAD_INPUT(4),
  /** The guest failed: a trap, a guest error, an ABI violation, or it refused the input. */
  GUEST_ERROR(5),
  /** A limit or a time limit was hit (memory, output size, call, session or stall time). */
  LIMIT(6),
  /** The server could not be reached, or went away. */
  UNAVAILABLE(7);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /**
   * The exit code of a failed Flight call. {@code INVALID_ARGUMENT} is split by the message's kind
   * ({@code proto-docs/errors.md}): a refused module or a guest's refusal of the input is bad input
   * (4 and 5), any other is a usage error; {@code INTERNAL} from the guest (trap, guest error, ABI
   * violation) is a guest error, a server bug is 1.
   */
  public static ExitCode of(FlightStatusCode status, String message) {
    String m = message == null ? "" : message;
    return switch (status) {
      case OK -> OK;
      case INVALID_ARGUMENT -> {
        if (m.startsWith("input rejected by guest")) {
          yield GUEST_ERROR;
        }
        yield m.startsWith("module rejected") || m.contains("cannot read the input stream")
            ? BAD_INPUT
            : USAGE;
      }
      case NOT_FOUND -> NOT_FOUND;
      case RESOURCE_EXHAUSTED, TIMED_OUT ->
          m.startsWith("guest out of memory") ? GUEST_ERROR : LIMIT;
      case INTERNAL ->
          m.startsWith("trap") || m.startsWith("guest error") || m.startsWith("ABI violation")
              ? GUEST_ERROR
              : OTHER;
      case UNAVAILABLE -> UNAVAILABLE;
      case UNIMPLEMENTED -> USAGE;
      default -> OTHER;
    };
  }
}
