package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edges of the guest contract ({@code hostile/abi_edges.wat}), on both engines: what the host
 * rewrites every batch, what it checks after {@code wf_release}, output column names, long guest
 * messages, and the single memory a module must have.
 */
class AbiEdgesTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(c -> c.withMaxMemoryPages(64));
    server.register("edges", Guests.wat("hostile/abi_edges"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor fn(String function, String engine) {
    return FlightDescriptor.command(
        ("{\"module\":\"edges\",\"function\":\"" + function + "\",\"engine\":\"" + engine + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** Three batches of 10 rows (text, n); returns the n column of the output. */
  static List<Long> exchange(FlightDescriptor d) throws Exception {
    List<Long> out = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(HostileGuestTest.SCHEMA, server.allocator)) {
      Exchange.run(
          server.client(),
          d,
          in,
          3,
          batch -> {
            VarCharVector t = (VarCharVector) in.getVector(0);
            BigIntVector n = (BigIntVector) in.getVector(1);
            t.allocateNew();
            n.allocateNew();
            for (int i = 0; i < 10; i++) {
              t.setSafe(i, ("row " + i).getBytes(StandardCharsets.UTF_8));
              n.setSafe(i, 100L * batch + i);
            }
            in.setRowCount(10);
          },
          root -> {
            if (root.getVector("n") instanceof BigIntVector n) {
              for (int i = 0; i < root.getRowCount(); i++) {
                out.add(n.get(i));
              }
            }
          });
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void theInputChildrenArrayIsRewrittenForEveryBatch(String engine) throws Exception {
    List<Long> expected = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      for (int i = 0; i < 10; i++) {
        expected.add(100L * b + i);
      }
    }
    assertEquals(expected, exchange(fn("scribble_children", engine)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void releaseMustClearBothStructs(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> exchange(fn("sticky_release", engine)),
        "ABI violation in edges/sticky_release ("
            + engine
            + ") at batch 0: wf_release left "
            + "release non-zero (ArrowSchema 1, ArrowArray 1); it must set both to 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void outputColumnNamesAreUnique(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> exchange(fn("duplicate_names", engine)),
        "ABI violation in edges/duplicate_names ("
            + engine
            + ") at batch 0: output columns 0 "
            + "and 1 are both named 'text'; column names must be unique");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aLongGuestMessageStaysWithinTheTrailerLimit(String engine) {
    FlightRuntimeException e =
        assertFlightError(
            FlightStatusCode.INTERNAL,
            () -> exchange(fn("long_message", engine)),
            "guest error in edges/long_message (" + engine + ") at batch 0: \u00e9\u00e9\u00e9",
            " more characters)");
    assertTrue(
        e.getMessage().getBytes(StandardCharsets.UTF_8).length < 2048,
        () -> e.getMessage().length() + " characters");
  }

  @org.junit.jupiter.api.Test
  void aModuleHasExactlyOneMemory() {
    // wat2wasm needs a flag for a second memory: patch the binary's memory section instead.
    byte[] wasm = withMemorySection(Guests.wat("good/echo"), new byte[] {2, 0, 2, 0, 1});
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> server.register("memories", wasm),
        "module rejected: a module must have exactly one memory, exported as 'memory'; this one "
            + "has 2");
  }

  /** A module with its memory section (id 5) replaced by {@code contents}. */
  static byte[] withMemorySection(byte[] wasm, byte[] contents) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(wasm, 0, 8);
    int at = 8;
    while (at < wasm.length) {
      int id = wasm[at];
      int size = 0;
      int shift = 0;
      int p = at + 1;
      int b;
      do {
        b = wasm[p++] & 0xff;
        size |= (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if (id == 5) {
        out.write(5);
        out.writeBytes(RawFlight.varint(contents.length));
        out.writeBytes(contents);
      } else {
        out.write(wasm, at, p - at + size);
      }
      at = p + size;
    }
    return out.toByteArray();
  }
}
