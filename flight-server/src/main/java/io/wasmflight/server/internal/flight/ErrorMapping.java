package io.wasmflight.server.internal.flight;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.ops.ServerMetrics;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where server failures become Flight status codes (the table in {@code
 * proto-docs/errors.md}). Only the message crosses the wire; stack traces stay in the log.
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
      case WasmFlightException.Unauthenticated x -> CallStatus.UNAUTHENTICATED;
      case WasmFlightException.Unauthorized x -> CallStatus.UNAUTHORIZED;
    };
  }

  /**
   * The error kind of a failure for metrics and logs: the errors.md prefix with underscores
   * ("bad_request", "trap"), a Flight status's code in lower case, or "internal" for a server bug.
   */
  public static String kind(Throwable t) {
    if (t instanceof WasmFlightException e) {
      return ServerMetrics.kindLabel(e.kind());
    }
    if (t instanceof FlightRuntimeException f) {
      return f.status().code().name().toLowerCase(java.util.Locale.ROOT);
    }
    return "internal";
  }

  /**
   * Converts anything thrown while serving a call. Flight exceptions pass through; our own carry
   * their message; anything else is logged with its stack trace and reported as a generic INTERNAL
   * error.
   */
  public static FlightRuntimeException toFlight(Throwable t) {
    if (t instanceof FlightRuntimeException f) {
      String d = f.status().description();
      String b = bounded(d);
      return b == null || b.equals(d)
          ? f
          : f.status().withDescription(b).withCause(f.getCause()).toRuntimeException();
    }
    if (t instanceof WasmFlightException e) {
      if (e.getCause() != null) {
        LOG.debug("{}", e.getMessage(), e);
      }
      return status(e).withDescription(bounded(e.getMessage())).toRuntimeException();
    }
    LOG.error("internal error", t);
    return CallStatus.INTERNAL
        .withDescription(
            "internal server error (" + t.getClass().getSimpleName() + "); see the server log")
        .toRuntimeException();
  }

  /** Longest part of a message copied from a request or a guest (a name, a key, a value). */
  static final int MAX_ECHO_CHARS = 200;

  /** Longest message. */
  static final int MAX_MESSAGE_CHARS = 2048;

  /**
   * Most bytes the message may take in the {@code grpc-message} trailer, where gRPC percent-encodes
   * every byte outside printable ASCII (3 bytes each): well under the 8 KiB that gRPC clients
   * accept for all metadata of a response.
   */
  static final int MAX_WIRE_BYTES = 4096;

  /**
   * A message fit for a status: every single-quoted value and every run without whitespace longer
   * than {@link #MAX_ECHO_CHARS} (names, keys, JSON, lists copied from the request or the guest) is
   * cut to that many characters plus {@code "…(N more characters)"}, then the whole message to
   * {@link #MAX_MESSAGE_CHARS} characters and {@link #MAX_WIRE_BYTES} encoded bytes.
   */
  static String bounded(String message) {
    if (message == null || message.length() <= MAX_ECHO_CHARS) {
      return message;
    }
    return cap(shortenRuns(shortenQuoted(message)));
  }

  private static String more(int chars) {
    return "\u2026(" + chars + " more characters)";
  }

  /** 'value' spans: from a quote after a non-alphanumeric to the next before one. */
  private static String shortenQuoted(String m) {
    StringBuilder out = new StringBuilder(Math.min(m.length(), 4 * MAX_MESSAGE_CHARS));
    int i = 0;
    while (i < m.length()) {
      int open = m.indexOf('\'', i);
      if (open < 0) {
        break;
      }
      if (open > 0 && Character.isLetterOrDigit(m.charAt(open - 1))) {
        out.append(m, i, open + 1);
        i = open + 1;
        continue;
      }
      int close = open + 1;
      while ((close = m.indexOf('\'', close)) >= 0
          && close + 1 < m.length()
          && Character.isLetterOrDigit(m.charAt(close + 1))) {
        close++;
      }
      if (close < 0) {
        break;
      }
      out.append(m, i, open + 1);
      int len = close - open - 1;
      if (len > MAX_ECHO_CHARS) {
        int cut = cut(m, open + 1 + MAX_ECHO_CHARS);
        out.append(m, open + 1, cut).append(more(close - cut));
      } else {
        out.append(m, open + 1, close);
      }
      out.append('\'');
      i = close + 1;
    }
    return out.append(m, i, m.length()).toString();
  }

  /** Runs without whitespace (JSON, lists, unquoted names). */
  private static String shortenRuns(String m) {
    StringBuilder out = new StringBuilder(Math.min(m.length(), 4 * MAX_MESSAGE_CHARS));
    int i = 0;
    while (i < m.length()) {
      int end = i;
      while (end < m.length() && !Character.isWhitespace(m.charAt(end))) {
        end++;
      }
      int len = end - i;
      // (slack: a value shortened above stays as it is)
      if (len > MAX_ECHO_CHARS + 40) {
        int cut = cut(m, i + MAX_ECHO_CHARS);
        out.append(m, i, cut).append(more(end - cut));
      } else {
        out.append(m, i, end);
      }
      int next = end;
      while (next < m.length() && Character.isWhitespace(m.charAt(next))) {
        next++;
      }
      out.append(m, end, next);
      i = next;
    }
    return out.toString();
  }

  /** The whole message within both bounds. */
  private static String cap(String m) {
    int fits = fitting(m, MAX_MESSAGE_CHARS, MAX_WIRE_BYTES);
    if (fits == m.length()) {
      return m;
    }
    int cut = fitting(m, MAX_MESSAGE_CHARS - 40, MAX_WIRE_BYTES - 40); // room for the marker
    return m.substring(0, cut) + more(m.length() - cut);
  }

  /** How many chars of {@code m} fit in both limits (never splitting a surrogate pair). */
  private static int fitting(String m, int maxChars, int maxWire) {
    int wire = 0;
    int i = 0;
    while (i < m.length()) {
      int cp = m.codePointAt(i);
      int n = Character.charCount(cp);
      int bytes =
          cp >= 0x20 && cp < 0x7f && cp != '%'
              ? 1
              : 3 * (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
      if (i + n > maxChars || wire + bytes > maxWire) {
        break;
      }
      wire += bytes;
      i += n;
    }
    return i;
  }

  /** {@code at}, or one less when that would split a surrogate pair. */
  private static int cut(String m, int at) {
    return at > 0 && at < m.length() && Character.isHighSurrogate(m.charAt(at - 1)) ? at - 1 : at;
  }
}
