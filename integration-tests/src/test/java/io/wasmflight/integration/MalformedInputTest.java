package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Record batches whose IPC header lies about the body, and data headers that are not Arrow
 * flatbuffers, sent with a raw gRPC client: each is a bad request (INVALID_ARGUMENT) with a precise
 * message, never INTERNAL or UNKNOWN, and leaves no Arrow memory behind.
 */
class MalformedInputTest {
  static final Schema INT64 = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
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
    assertEquals(
        0,
        s.allocator.getAllocatedMemory(),
        () -> "Arrow memory left behind:\n" + s.allocator.toVerboseString());
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
      assertBadRequest(
          send(
              INT64,
              batch(
                  -1_000_000,
                  new long[][] {{-1_000_000, 0}},
                  new long[][] {{0, 0}, {0, 0}},
                  new byte[0])),
          WHERE,
          "input message 1 (record batch 0) is malformed: length -1000000 is negative");
      assertNoArrowMemory(server);
    }
    assertBadRequest(
        send(INT64, batch(3, new long[][] {{-8, 0}}, new long[][] {{0, 0}, {0, 24}}, new byte[24])),
        "input column 0 ('x'): length -8 is negative");
  }

  @Test
  void bodyShorterThanItsHeaderSays() throws Exception {
    assertBadRequest(
        send(
            INT64,
            batch(3, new long[][] {{3, 0}}, new long[][] {{0, 0}, {0, 24}}, RawFlight.longs(1))),
        WHERE,
        "buffer 1 (bytes 0..24) lies outside the 8-byte body");
  }

  @Test
  void moreRowsThanTheBodyHolds() throws Exception {
    assertBadRequest(
        send(
            INT64,
            batch(
                1000, new long[][] {{1000, 0}}, new long[][] {{0, 0}, {0, 8}}, RawFlight.longs(7))),
        WHERE,
        "input column 0 ('x'): its values buffer holds 8 bytes, 8000 needed for 1000 rows");
    byte[] body = new byte[16];
    System.arraycopy(RawFlight.ints(0, 1), 0, body, 0, 8);
    body[8] = 'a';
    assertBadRequest(
        send(
            UTF8,
            batch(1000, new long[][] {{1000, 0}}, new long[][] {{0, 0}, {0, 8}, {8, 8}}, body)),
        WHERE,
        "input column 0 ('s'): its offsets buffer holds 8 bytes, 4004 needed for 1000 rows");
  }

  @Test
  void headerThatIsNotAnArrowFlatbuffer() throws Exception {
    for (byte[] header :
        List.of(
            "not a flatbuffer at all".getBytes(StandardCharsets.UTF_8),
            new byte[] {1, 2, 3},
            new byte[] {-1, -1, -1, 127, 0, 0, 0, 0, 9, 9, 9, 9})) {
      assertBadRequest(
          send(INT64, RawFlight.data(header, new byte[8])),
          WHERE,
          "input message 1 is malformed: the data_header is not an Arrow IPC message");
    }
    // A flatbuffer, but of version V1 (all zeros).
    assertBadRequest(
        send(INT64, RawFlight.data(new byte[64], new byte[8])),
        WHERE,
        "input message 1 is malformed: the data_header has IPC metadata version V1; Arrow Java "
            + "reads V4 and V5");
    // As the first message, with the descriptor.
    RawFlight.Outcome o =
        raw.exchange(
            List.of(
                Flight.FlightData.newBuilder()
                    .setFlightDescriptor(ECHO)
                    .setDataHeader(com.google.protobuf.ByteString.copyFromUtf8("garbage garbage"))
                    .build()));
    assertBadRequest(
        o, WHERE, "input message 0 is malformed: the data_header is not an Arrow IPC message");
  }

  @Test
  void flightDataTheParserWouldMisread() throws Exception {
    byte[] first = RawFlight.schema(ECHO, INT64).toByteArray();
    byte[] header =
        RawFlight.batchHeader(0, new long[][] {{0, 0}}, new long[][] {{0, 0}, {0, 0}}, 0);
    // Arrow Java would allocate the claimed 2 GiB body before finding the message too short.
    byte[] hugeBody =
        RawFlight.concat(
            RawFlight.field(2, header),
            RawFlight.varint(8002),
            RawFlight.varint(Integer.MAX_VALUE),
            new byte[] {1, 2, 3});
    assertBadRequest(
        raw.exchangeRaw(List.of(first, hugeBody)),
        WHERE,
        "input message 1 is "
            + "malformed: the FlightData's data_body claims 2147483647 bytes but only 3 follow");
    // A second app_metadata buffer would never be freed.
    byte[] twice =
        RawFlight.concat(
            RawFlight.field(2, header),
            RawFlight.field(3, new byte[4]),
            RawFlight.field(3, new byte[4]));
    assertBadRequest(
        raw.exchangeRaw(List.of(first, twice)),
        WHERE,
        "input message 1 is malformed: the FlightData has its app_metadata field twice");
    // Arrow Java would read an unknown field's contents as tags.
    byte[] unknown =
        RawFlight.concat(
            RawFlight.field(2, header), RawFlight.varint(5 << 3), RawFlight.varint(300));
    assertBadRequest(
        raw.exchangeRaw(List.of(first, unknown)),
        WHERE,
        "input message 1 is "
            + "malformed: the FlightData has field 5 (wire type 0), which is not one of");
    byte[] truncated = RawFlight.concat(RawFlight.varint(18), new byte[] {(byte) 0x80});
    assertBadRequest(
        raw.exchangeRaw(List.of(first, truncated)),
        WHERE,
        "input message 1 is malformed: the FlightData cannot be read");
    // A body without a header, or beside a schema, is never freed by Arrow Java.
    assertBadRequest(
        raw.exchangeRaw(List.of(first, RawFlight.field(1000, new byte[8]))),
        WHERE,
        "input message 1 is malformed: the FlightData has a data_body but no data_header");
    assertBadRequest(
        send(INT64, RawFlight.data(RawFlight.schemaHeader(INT64), new byte[8])),
        WHERE,
        "input message 1 is malformed: the schema message has a 8-byte data_body");
    assertBadRequest(
        send(
            INT64,
            RawFlight.data(
                RawFlight.headerOfType(org.apache.arrow.flatbuf.MessageHeader.Tensor),
                new byte[0])),
        WHERE,
        "input message 1 is malformed: the data_header is a message of type Tensor");
  }

  @Test
  void messagesOutOfOrder() throws Exception {
    Flight.FlightData descriptorOnly =
        Flight.FlightData.newBuilder().setFlightDescriptor(ECHO).build();
    assertBadRequest(
        raw.exchange(
            List.of(
                descriptorOnly,
                batch(0, new long[][] {{0, 0}}, new long[][] {{0, 0}, {0, 0}}, new byte[0]))),
        WHERE,
        "input message 1 (record batch 0) is malformed: it arrives before the schema");
    // No descriptor at all: the exchange used to wait for one forever.
    String none =
        "bad request: the exchange's input ended before any message carried a flight "
            + "descriptor";
    assertBadRequest(raw.exchange(List.of()), none);
    assertBadRequest(
        raw.exchange(List.of(RawFlight.data(RawFlight.schemaHeader(INT64), null))), none);
    // Refused before any descriptor: the reason, without a function to name.
    assertBadRequest(
        raw.exchange(List.of(RawFlight.data(new byte[] {1, 2, 3}, null))),
        "bad request: Arrow Java cannot read the input stream: input message 0 is malformed: "
            + "the data_header is not an Arrow IPC message");
  }

  @Test
  void offsetsThatLie() throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(UTF8, server.allocator)) {
      VarCharVector s = (VarCharVector) root.getVector(0);
      s.allocateNew();
      s.setSafe(0, "ab".getBytes(StandardCharsets.UTF_8));
      s.setSafe(1, "cd".getBytes(StandardCharsets.UTF_8));
      root.setRowCount(2);
      RawFlight.Parts p = RawFlight.parts(root);
      int offsets = (int) p.bufferOffsets()[1];
      byte[] body = p.body().clone();
      System.arraycopy(RawFlight.ints(0, 3, 1), 0, body, offsets, 12);
      assertBadRequest(
          send(UTF8, RawFlight.data(p.header(), body)),
          WHERE,
          "input column 0 ('s'): offsets decrease at row 1 (3 -> 1)");
      body = p.body().clone();
      System.arraycopy(RawFlight.ints(0, 2, 100), 0, body, offsets, 12);
      assertBadRequest(
          send(UTF8, RawFlight.data(p.header(), body)),
          WHERE,
          "input column 0 ('s'): its last offset 100 is past its data buffer's 4 bytes");
    }
    Schema lists =
        new Schema(
            List.of(
                new Field(
                    "l",
                    FieldType.nullable(new ArrowType.List()),
                    List.of(Field.nullable("item", new ArrowType.Int(64, true))))));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(lists, server.allocator)) {
      ListVector l = (ListVector) root.getVector(0);
      UnionListWriter w = l.getWriter();
      w.startList();
      w.bigInt().writeBigInt(1);
      w.bigInt().writeBigInt(2);
      w.endList();
      w.setValueCount(1);
      root.setRowCount(1);
      RawFlight.Parts p = RawFlight.parts(root);
      byte[] body = p.body().clone();
      System.arraycopy(RawFlight.ints(0, 9), 0, body, (int) p.bufferOffsets()[1], 8);
      assertBadRequest(
          send(lists, RawFlight.data(p.header(), body)),
          WHERE,
          "input column 0 ('l')[item]: length 2 is shorter than the 9 slots it must cover");
    }
  }

  @Test
  void viewsAndDictionariesThatLie() throws Exception {
    Schema views = new Schema(List.of(Field.nullable("v", ArrowType.Utf8View.INSTANCE)));
    try (VectorSchemaRoot root = VectorSchemaRoot.create(views, server.allocator)) {
      ViewVarCharVector v = (ViewVarCharVector) root.getVector(0);
      v.allocateNew();
      v.setSafe(0, "a string longer than twelve bytes".getBytes(StandardCharsets.UTF_8));
      root.setRowCount(1);
      RawFlight.Parts p = RawFlight.parts(root);
      byte[] body = p.body().clone();
      System.arraycopy(RawFlight.ints(5), 0, body, (int) p.bufferOffsets()[1] + 8, 4);
      assertBadRequest(
          send(views, RawFlight.data(p.header(), body)),
          WHERE,
          "input column 0 ('v'): the view at row 0 references bytes 0..33 of data buffer 5");
    }
    Schema encoded =
        new Schema(
            List.of(
                new Field(
                    "d",
                    new FieldType(
                        true,
                        ArrowType.Utf8.INSTANCE,
                        new DictionaryEncoding(0, false, new ArrowType.Int(32, true))),
                    null)));
    Schema indices = new Schema(List.of(Field.nullable("d", new ArrowType.Int(32, true))));
    try (VectorSchemaRoot values = VectorSchemaRoot.create(UTF8, server.allocator);
        VectorSchemaRoot index = VectorSchemaRoot.create(indices, server.allocator)) {
      VarCharVector s = (VarCharVector) values.getVector(0);
      s.allocateNew();
      s.setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
      s.setSafe(1, "y".getBytes(StandardCharsets.UTF_8));
      values.setRowCount(2);
      IntVector i = (IntVector) index.getVector(0);
      i.allocateNew();
      i.setSafe(0, 1);
      i.setSafe(1, 5);
      index.setRowCount(2);
      Flight.FlightData dict = RawFlight.dictionary(0, values).message();
      assertBadRequest(
          send(encoded, dict, RawFlight.parts(index).message()),
          WHERE,
          "input message 2 (record batch 0) is malformed: input column 0 ('d'): dictionary "
              + "index 5 at row 1 is outside the dictionary's 2 values (dictionary id 0)");
      assertBadRequest(
          send(encoded, RawFlight.dictionary(9, values).message()),
          WHERE,
          "input message 1 (the dictionary batch of id 9) is malformed: the schema has no "
              + "dictionary-encoded field with id 9");
      i.setSafe(1, 0);
      RawFlight.Outcome ok = send(encoded, dict, RawFlight.parts(index).message());
      assertEquals(Status.Code.OK, ok.code(), ok::toString);
    }
  }

  @Test
  void omittedBitmapsCannotClaimUnboundedRows() throws Exception {
    // A struct without fields and without a validity buffer: Arrow Java would allocate a bitmap
    // for whatever row count the header claims (128 MiB here) from a 0-byte body.
    Schema empty =
        new Schema(
            List.of(new Field("s", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of())));
    int rows = 1 << 30;
    assertBadRequest(
        send(empty, batch(rows, new long[][] {{rows, 0}}, new long[][] {{0, 0}}, new byte[0])),
        WHERE,
        "input column 0 ('s'): the batch omits validity bitmaps for more rows than its "
            + "0-byte body holds");
  }

  @Test
  void theSchemaSentAgainIsAccepted() throws Exception {
    // Arrow Java's reader would load the batches after it into a root the server never reads.
    try (VectorSchemaRoot a = VectorSchemaRoot.create(INT64, server.allocator)) {
      BigIntVector x = (BigIntVector) a.getVector(0);
      List<Long> got = new java.util.ArrayList<>();
      try (var rw =
          server
              .client()
              .doExchange(org.apache.arrow.flight.FlightDescriptor.path("echo", "echo"))) {
        var writer = rw.getWriter();
        writer.start(a);
        for (int batch = 0; batch < 3; batch++) {
          if (batch > 0) {
            writer.start(a); // the same schema again
          }
          x.allocateNew(2);
          x.set(0, 10L * batch);
          x.set(1, 10L * batch + 1);
          a.setRowCount(2);
          writer.putNext();
        }
        writer.completed();
        while (rw.getReader().next()) {
          BigIntVector y = (BigIntVector) rw.getReader().getRoot().getVector(0);
          for (int r = 0; r < rw.getReader().getRoot().getRowCount(); r++) {
            got.add(y.get(r));
          }
        }
      }
      assertEquals(List.of(0L, 1L, 10L, 11L, 20L, 21L), got);
    }
  }

  @Test
  void aDifferentSchemaMidStreamIsRefusedWithoutLeaks() throws Exception {
    Schema encoded =
        new Schema(
            List.of(
                new Field(
                    "d",
                    new FieldType(
                        true,
                        ArrowType.Utf8.INSTANCE,
                        new DictionaryEncoding(0, false, new ArrowType.Int(32, true))),
                    null)));
    Schema indices = new Schema(List.of(Field.nullable("d", new ArrowType.Int(32, true))));
    try (VectorSchemaRoot values = VectorSchemaRoot.create(UTF8, server.allocator);
        VectorSchemaRoot index = VectorSchemaRoot.create(indices, server.allocator);
        VectorSchemaRoot ints = VectorSchemaRoot.create(INT64, server.allocator)) {
      VarCharVector s = (VarCharVector) values.getVector(0);
      s.allocateNew();
      s.setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
      values.setRowCount(1);
      IntVector i = (IntVector) index.getVector(0);
      i.allocateNew();
      i.setSafe(0, 0);
      index.setRowCount(1);
      BigIntVector x = (BigIntVector) ints.getVector(0);
      x.allocateNew(1);
      x.set(0, 1);
      ints.setRowCount(1);
      RawFlight.Outcome o =
          send(
              encoded,
              RawFlight.dictionary(0, values).message(),
              RawFlight.parts(index).message(),
              RawFlight.data(RawFlight.schemaHeader(INT64), null),
              RawFlight.parts(ints).message());
      assertBadRequest(o, "bad request in echo/echo (aot) at batch ");
    }
  }
}
