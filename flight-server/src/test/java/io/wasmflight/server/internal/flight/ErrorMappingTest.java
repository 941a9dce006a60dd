package io.wasmflight.server.internal.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.junit.jupiter.api.Test;

/** Status messages stay short however long the input they quote. */
class ErrorMappingTest {
  static final String X = "x".repeat(10_000);

  static String described(RuntimeException e) {
    return ErrorMapping.toFlight(e).status().description();
  }

  /** What gRPC puts on the wire for the message (percent-encoding outside printable ASCII). */
  static int wireBytes(String m) {
    int n = 0;
    for (byte b : m.getBytes(StandardCharsets.UTF_8)) {
      n += b >= 0x20 && b < 0x7f && b != '%' ? 1 : 3;
    }
    return n;
  }

  @Test
  void shortMessagesAreUntouched() {
    String m = "invalid module name 'a b': use 1-64 characters from A-Z a-z 0-9 _ -";
    assertEquals("bad request: " + m, described(new WasmFlightException.BadRequest(m)));
  }

  @Test
  void aLongQuotedValueIsCutAndTheRestOfTheMessageKept() {
    String m =
        described(
            new WasmFlightException.BadRequest(
                "invalid module name '"
                    + X
                    + "': use 1-64 characters from A-Z a-z 0-9 _ - (not starting with -)"));
    assertEquals(
        "bad request: invalid module name '"
            + "x".repeat(200)
            + "\u2026(9800 more characters)': use 1-64 characters from A-Z a-z 0-9 _ - (not "
            + "starting with -)",
        m);
  }

  @Test
  void quotedValuesWithSpacesAndApostrophesInProse() {
    String name = "a b ".repeat(2_500);
    String m =
        described(
            new WasmFlightException.NotFound(
                "the server's modules: module 'echo' "
                    + "has no function '"
                    + name
                    + "'; it has: echo"));
    assertEquals(
        "not found: the server's modules: module 'echo' has no function '"
            + name.substring(0, 200)
            + "\u2026(9800 more characters)'; it has: echo",
        m);
  }

  @Test
  void longUnquotedRunsAreCut() {
    String json = "{\"k\":\"" + X + "\"}";
    String m =
        described(
            new WasmFlightException.BadRequest(
                "function 'echo/echo' takes no " + "options, got " + json));
    assertEquals(
        "bad request: function 'echo/echo' takes no options, got "
            + json.substring(0, 200)
            + "\u2026("
            + (json.length() - 200)
            + " more characters)",
        m);
  }

  @Test
  void theWholeMessageIsBoundedInCharactersAndOnTheWire() {
    String words = "word ".repeat(5_000);
    String m = described(new WasmFlightException.GuestError(words));
    assertTrue(m.length() <= ErrorMapping.MAX_MESSAGE_CHARS, () -> m.length() + "");
    assertTrue(m.endsWith(" more characters)"), m);
    // A guest message of 4096 bytes of 2-byte characters would be 12 KiB percent-encoded.
    String accents = "\u00e9".repeat(2_048);
    String g = described(new WasmFlightException.GuestError("row 7: " + accents));
    assertTrue(wireBytes(g) <= ErrorMapping.MAX_WIRE_BYTES, () -> wireBytes(g) + "");
    assertTrue(g.startsWith("guest error: row 7: \u00e9\u00e9"), g);
    // Never half a surrogate pair.
    String emoji = "\ud83d\ude00".repeat(3_000);
    String e = described(new WasmFlightException.GuestError(emoji));
    assertTrue(wireBytes(e) <= ErrorMapping.MAX_WIRE_BYTES);
    assertEquals(e, new String(e.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
  }

  @Test
  void flightExceptionsAreBoundedToo() {
    FlightRuntimeException f =
        CallStatus.INVALID_ARGUMENT.withDescription("got '" + X + "'").toRuntimeException();
    FlightRuntimeException out = ErrorMapping.toFlight(f);
    assertEquals(CallStatus.INVALID_ARGUMENT.code(), out.status().code());
    assertEquals(
        "got '" + "x".repeat(200) + "\u2026(9800 more characters)'", out.status().description());
    FlightRuntimeException small =
        CallStatus.INTERNAL.withDescription("short").toRuntimeException();
    assertTrue(small == ErrorMapping.toFlight(small));
  }
}
