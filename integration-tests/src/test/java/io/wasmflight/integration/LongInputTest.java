package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A status message quotes the client's input, and gRPC clients refuse trailers above 8 KiB
 * (RESOURCE_EXHAUSTED "received metadata size exceeds soft limit"): 10,000-character names, keys
 * and values come back cut to 200 characters, with the status the request deserves.
 */
class LongInputTest {
  static final String LONG = "x".repeat(10_000);
  static final String CUT = "x".repeat(200) + "\u2026(9800 more characters)";
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register("echo", Guests.wat("good/echo"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static void exchange(FlightDescriptor d) throws Exception {
    Schema schema = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
    try (VectorSchemaRoot in = VectorSchemaRoot.create(schema, server.allocator)) {
      Exchange.run(
          server.client(),
          d,
          in,
          1,
          i -> {
            in.allocateNew();
            in.setRowCount(0);
          },
          out -> {});
    }
  }

  static void assertShort(FlightRuntimeException e) {
    assertTrue(e.getMessage().length() < 2048, () -> e.getMessage().length() + " characters");
  }

  @Test
  void namesKeysAndValues() {
    var bad = FlightStatusCode.INVALID_ARGUMENT;
    assertShort(
        assertFlightError(
            bad,
            () ->
                server.action(
                    "register", BadRequestTest.registerBody(LONG, Guests.wat("good/echo"))),
            "bad request: invalid module name '" + CUT + "': use 1-64 characters"));
    assertShort(
        assertFlightError(
            FlightStatusCode.NOT_FOUND,
            () -> server.action("describe", "{\"name\":\"" + LONG + "\"}"),
            "not found: no module named '" + CUT + "' is registered"));
    assertShort(
        assertFlightError(
            bad,
            () -> server.action(LONG, "{}"),
            "bad request: unknown action '" + CUT + "'; available: register"));
    assertShort(
        assertFlightError(
            bad,
            () -> server.action("list", "{\"" + LONG + "\":1}"),
            "bad request: list body has unknown field '" + CUT + "'; allowed: "));
    assertShort(
        assertFlightError(
            FlightStatusCode.NOT_FOUND,
            () -> exchange(FlightDescriptor.path("echo", LONG)),
            "not found: module 'echo' has no function '" + CUT + "'; it has: echo"));
    assertShort(
        assertFlightError(
            bad,
            () ->
                exchange(
                    FlightDescriptor.command(
                        ("{\"module\":\"echo\",\"function\":\"echo\",\"" + LONG + "\":1}")
                            .getBytes(StandardCharsets.UTF_8))),
            "bad request: descriptor command has unknown field '"
                + CUT
                + "'; allowed: engine, "
                + "function, limits, module, options"));
    String options = "{\"k\":\"" + LONG + "\"}";
    assertShort(
        assertFlightError(
            bad,
            () ->
                exchange(
                    FlightDescriptor.command(
                        ("{\"module\":\"echo\",\"function\":\"echo\",\"options\":" + options + "}")
                            .getBytes(StandardCharsets.UTF_8))),
            "function 'echo/echo' takes no options, got "
                + options.substring(0, 200)
                + "\u2026("
                + (options.length() - 200)
                + " more characters)"));
  }
}
