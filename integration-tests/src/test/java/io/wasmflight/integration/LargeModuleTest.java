package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.Test;

/**
 * Modules up to the documented 64 MiB limit register over Flight (their base64 is far longer than
 * Jackson's default 20M-character string cap), and one byte more gets the documented
 * RESOURCE_EXHAUSTED message rather than a JSON error.
 */
class LargeModuleTest {
  static final int MIB = 1 << 20;

  /** The echo guest followed by a custom section that brings it to exactly {@code size} bytes. */
  static byte[] paddedEcho(int size) {
    byte[] echo = Guests.wat("good/echo");
    byte[] name = "wasm-flight.padding".getBytes(StandardCharsets.UTF_8);
    byte[] body = RawFlight.concat(RawFlight.varint(name.length), name);
    // section = id 0, its size as a LEB128 u32 of l bytes, then (name length, name, payload)
    for (int l = 1; l <= 5; l++) {
      int payload = size - echo.length - 1 - l - body.length;
      byte[] sectionSize = RawFlight.varint(body.length + payload);
      if (payload >= 0 && sectionSize.length == l) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.writeBytes(echo);
        out.write(0);
        out.writeBytes(sectionSize);
        out.writeBytes(body);
        out.writeBytes(new byte[payload]);
        return out.toByteArray();
      }
    }
    throw new IllegalArgumentException("cannot pad to " + size);
  }

  @Test
  void aModuleOf20MiBRegisters() throws Exception {
    try (TestServer s = TestServer.start()) {
      byte[] wasm = paddedEcho(20 * MIB);
      assertEquals(20 * MIB, wasm.length);
      assertEquals(20 * MIB, s.register("big", wasm).get("size_bytes").asInt());
      assertEquals(
          "echo",
          s.action("describe", "{\"name\":\"big\"}").get("functions").get(0).get("name").asText());
    }
  }

  @Test
  void oneByteAboveTheLimitIsRefusedWithTheLimit() throws Exception {
    try (TestServer s = TestServer.start()) {
      long limit = s.config.maxModuleBytes();
      assertEquals(64L * MIB, limit);
      byte[] wasm = paddedEcho((int) limit + 1);
      assertFlightError(
          FlightStatusCode.RESOURCE_EXHAUSTED,
          () -> s.register("big", wasm),
          "limit exceeded: module is " + (limit + 1) + " bytes; the limit is " + limit);
      // Exactly at the limit is fine.
      assertEquals(limit, s.register("big", paddedEcho((int) limit)).get("size_bytes").asLong());
    }
  }
}
