package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Record batches whose IPC header lies about the body, and data headers that are not Arrow
 * flatbuffers, sent with a raw gRPC client: each is a bad request (INVALID_ARGUMENT) with a
 * precise message, never INTERNAL or UNKNOWN, and leaves no Arrow memory behind.
 */
class MalformedInputTest {
  static final Schema INT64 = new Schema(List.of(
      Field.nullable("x", new ArrowType.Int(64, true))));
  static final Schema UTF8 = new Schema(List.of(Field.nullable("s", ArrowType.Utf8.INSTANCE)));
  static final Flight.FlightDescriptor ECHO = RawFlight.path("echo", "echo");
  static final String WHERE = "bad request in echo/echo (aot) at batch 0: ";

  static TestServer server;
  static RawFlight raw;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register("echo", Guests.wat("good/echo"));
    raw = new RawFlight(server.port());
  }

  @AfterAll
  static void stop() throws Exception {
    raw.close();
    server.close();
  }

  /** Every call releases everything it allocated, right after it ends. */
  @AfterEach
  void nothingLeft() throws InterruptedException {
    assertNoArrowMemory(server);
  }

  static void assertNoArrowMemory(TestServer s) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (s.allocator.getAllocatedMemory() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, s.allocator.getAllocatedMemory(), () -> "Arrow memory left behind:\n"
        + s.allocator.toVerboseString());
  }

  static RawFlight.Outcome send(Schema schema, Flight.FlightData... batches) throws Exception {
    List<Flight.FlightData> messages = new java.util.ArrayList<>();
    messages.add(RawFlight.schema(ECHO, schema));
    messages.addAll(List.of(batches));
    return raw.exchange(messages);
  }

  static void assertBadRequest(RawFlight.Outcome o, String... fragments) {
    assertEquals(Status.Code.INVALID_ARGUMENT, o.code(), o::toString);
    for (String f : fragments) {
      assertTrue(o.description().contains(f), () -> "'" + o.description() + "' lacks '" + f + "'");
    }
  }

  static Flight.FlightData batch(long length, long[][] nodes, long[][] buffers, byte[] body) {
    return RawFlight.data(RawFlight.batchHeader(length, nodes, buffers, body.length), body);
  }

  @Test
  void negativeRowCount() throws Exception {
    // Arrow Java sizes the validity bitmap of -1,000,000 rows as ~512 MiB and loses it.
    for (int i = 0; i < 4; i++) {
      assertBadRequest(send(INT64, batch(-1_000_000, new long[][] {{-1_000_000, 0}},
              new long[][] {{0, 0}, {0, 0}}, new byte[0])),
          WHERE, "input message 1 (record batch 0) is malformed: length -1000000 is negative");
      assertNoArrowMemory(server);
    }
    assertBadRequest(send(INT64, batch(3, new long[][] {{-8, 0}},
            new long[][] {{0, 0}, {0, 24}}, new byte[24])),
        "input column 0 ('x'): length -8 is negative");
  }

  @Test
  void bodyShorterThanItsHeaderSays() throws Exception {
    assertBadRequest(send(INT64, batch(3, new long[][] {{3, 0}}, new long[][] {{0, 0}, {0, 24}},
            RawFlight.longs(1))),
        WHERE, "buffer 1 (bytes 0..24) lies outside the 8-byte body");
  }

  @Test
  void moreRowsThanTheBodyHolds() throws Exception {
    assertBadRequest(send(INT64, batch(1000, new long[][] {{1000, 0}},
            new long[][] {{0, 0}, {0, 8}}, RawFlight.longs(7))),
        WHERE, "input column 0 ('x'): its values buffer holds 8 bytes, 8000 needed for 1000 rows");
    byte[] body = new byte[16];
    System.arraycopy(RawFlight.ints(0, 1), 0, body, 0, 8);
    body[8] = 'a';
    assertBadRequest(send(UTF8, batch(1000, new long[][] {{1000, 0}},
            new long[][] {{0, 0}, {0, 8}, {8, 8}}, body)),
        WHERE, "input column 0 ('s'): its offsets buffer holds 8 bytes, 4004 needed for 1000 rows");
  }

  @Test
  void headerThatIsNotAnArrowFlatbuffer() throws Exception {
    for (byte[] header : List.of("not a flatbuffer at all".getBytes(StandardCharsets.UTF_8),
        new byte[] {1, 2, 3}, new byte[] {-1, -1, -1, 127, 0, 0, 0, 0, 9, 9, 9, 9})) {
      assertBadRequest(send(INT64, RawFlight.data(header, new byte[8])), WHERE,
          "input message 1 is malformed: the data_header is not an Arrow IPC message");
    }
    // A flatbuffer, but of version V1 (all zeros).
    assertBadRequest(send(INT64, RawFlight.data(new byte[64], new byte[8])), WHERE,
        "input message 1 is malformed: the data_header has IPC metadata version V1; Arrow Java "
            + "reads V4 and V5");
    // As the first message, with the descriptor.
    RawFlight.Outcome o = raw.exchange(List.of(Flight.FlightData.newBuilder()
        .setFlightDescriptor(ECHO)
        .setDataHeader(com.google.protobuf.ByteString.copyFromUtf8("garbage garbage")).build()));
    assertBadRequest(o, WHERE,
        "input message 0 is malformed: the data_header is not an Arrow IPC message");
  }
}
