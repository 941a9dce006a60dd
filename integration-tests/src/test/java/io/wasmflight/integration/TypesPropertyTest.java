package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compare.Range;
import org.apache.arrow.vector.compare.RangeEqualsVisitor;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Property test of "every Arrow type across the guest boundary": random schemas (every type the
 * server carries, nested at least 3 levels, dictionaries, metadata), random data with random nulls,
 * randomly sliced before sending, several batches per exchange, through a guest and back, on both
 * engines. Output must equal input ({@link VectorSchemaRoot#equals}, dictionaries too) and pass
 * {@code validateFull}.
 *
 * <p>Guests: {@code echo} (WAT: hands the host's own input structs back, so this is the host's
 * writer and reader end to end) and {@code identity} (the Rust SDK example that rebuilds every
 * column through the SDK's views and builders), skipped while it is not built.
 *
 * <p>Seeded and reproducible: {@code -Dwasmflight.types.seed=S} sets the base seed (default fixed),
 * {@code -Dwasmflight.types.seeds=N} the number of schemas per guest and engine. A failure prints
 * the seed and the schema.
 */
class TypesPropertyTest {
  static final long BASE_SEED = Long.getLong("wasmflight.types.seed", 20261105L);
  static final int SEEDS = Integer.getInteger("wasmflight.types.seeds", 16);

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({"echo, aot", "echo, interpreter", "identity, aot", "identity, interpreter"})
  void randomSchemasComeBackEqual(String guest, String engine) throws Exception {
    byte[] wasm = guestBytes(guest);
    try (TestServer s = TestServer.start()) {
      s.register(guest, wasm);
      FlightDescriptor descriptor =
          FlightDescriptor.command(
              ("{\"module\":\""
                      + guest
                      + "\",\"function\":\""
                      + guest
                      + "\",\"engine\":\""
                      + engine
                      + "\"}")
                  .getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < SEEDS; i++) {
        long seed = BASE_SEED + i;
        roundTrip(s, descriptor, seed, guest + " on " + engine);
      }
    }
  }

  static byte[] guestBytes(String guest) {
    if (guest.equals("echo")) {
      return Guests.wat("good/echo");
    }
    String dir = System.getProperty("wasmflight.examples.dir");
    Assumptions.assumeTrue(
        dir != null && Files.isRegularFile(Path.of(dir, guest + ".wasm")),
        "the Rust example '" + guest + "' is not built (guest-sdk-rust/examples/" + guest + ")");
    return Guests.rust(guest);
  }

  /** One seed: a schema, 1..4 batches, each compared with what was sent. */
  static void roundTrip(TestServer s, FlightDescriptor descriptor, long seed, String what)
      throws Exception {
    BufferAllocator allocator = s.allocator;
    RandomArrow gen = new RandomArrow(seed, allocator, 4);
    Random random = new Random(seed * 31 + 7);
    Schema schema = null;
    try {
      schema = gen.schema(6);
      int batches = 1 + random.nextInt(4);
      try (VectorSchemaRoot send = VectorSchemaRoot.create(schema, allocator);
          FlightClient.ExchangeReaderWriter rw = s.client().doExchange(descriptor)) {
        FlightClient.ClientStreamListener writer = rw.getWriter();
        FlightStream reader = rw.getReader();
        writer.start(send, gen.dictionaries());
        for (int b = 0; b < batches; b++) {
          try (VectorSchemaRoot full = VectorSchemaRoot.create(schema, allocator)) {
            int rows = random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(150);
            gen.fill(full, rows);
            int from = rows == 0 ? 0 : random.nextInt(rows);
            int len = random.nextBoolean() ? rows - from : random.nextInt(rows - from + 1);
            try (VectorSchemaRoot expected =
                slice(full, random.nextBoolean() ? from : 0, random.nextBoolean() ? len : rows)) {
              load(send, expected);
              writer.putNext();
              if (!reader.next()) {
                fail("no output batch " + b);
              }
              compare(
                  schema,
                  expected,
                  reader.getRoot(),
                  gen.dictionaries(),
                  reader.getDictionaryProvider(),
                  b);
            }
          }
        }
        writer.completed();
        while (reader.next()) {
          fail("more output batches than input batches");
        }
      }
    } catch (Throwable t) {
      throw new AssertionError(
          what
              + ": seed "
              + seed
              + " failed (rerun with "
              + "-Dwasmflight.types.seed="
              + seed
              + " -Dwasmflight.types.seeds=1)\nschema: "
              + schema
              + "\n"
              + t,
          t);
    } finally {
      gen.closeDictionaries();
    }
  }

  /**
   * {@link VectorSchemaRoot#slice} (a copy: Arrow Java has no offsets), or the whole root when
   * Arrow Java cannot slice the schema: its union transfer pairs build the target from the vector's
   * own field, whose type ids are wrong (dense: assumed 0..n-1, sparse: minor-type ordinals).
   */
  static VectorSchemaRoot slice(VectorSchemaRoot full, int from, int len) {
    if (from + len > full.getRowCount()) {
      len = full.getRowCount() - from;
    }
    if (len == 0) {
      // Arrow Java slices an empty range into vectors without offsets buffers, which its own
      // IPC writer then cannot send: an empty root with allocated buffers instead.
      VectorSchemaRoot empty =
          VectorSchemaRoot.create(full.getSchema(), full.getVector(0).getAllocator());
      empty.allocateNew();
      empty.setRowCount(0);
      return empty;
    }
    if (full.getSchema().getFields().stream().anyMatch(TypesPropertyTest::hasUnion)) {
      return copy(full);
    }
    VectorSchemaRoot sliced = full.slice(from, len);
    sliced.getFieldVectors().forEach(TypesPropertyTest::repairEmptyOffsets);
    return sliced;
  }

  /**
   * Arrow Java's slice leaves an empty list or string child without an offsets buffer, which its
   * own IPC writer then cannot send (it declares one offset): give such vectors their offset.
   */
  static void repairEmptyOffsets(FieldVector v) {
    int buffers =
        v instanceof org.apache.arrow.vector.complex.ListVector
                || v instanceof org.apache.arrow.vector.complex.LargeListVector
            ? 2
            : v instanceof org.apache.arrow.vector.BaseVariableWidthVector
                    || v instanceof org.apache.arrow.vector.BaseLargeVariableWidthVector
                ? 3
                : 0;
    if (buffers > 0 && v.getValueCount() == 0 && v.getOffsetBuffer().capacity() < 8) {
      var allocator = v.getAllocator();
      try (var offsets = allocator.buffer(8)) {
        offsets.setZero(0, 8);
        java.util.List<org.apache.arrow.memory.ArrowBuf> bufs = new ArrayList<>();
        bufs.add(allocator.getEmpty());
        bufs.add(offsets);
        if (buffers == 3) {
          bufs.add(allocator.getEmpty());
        }
        v.loadFieldBuffers(new org.apache.arrow.vector.ipc.message.ArrowFieldNode(0, 0), bufs);
      }
    }
    for (FieldVector c : v.getChildrenFromFields()) {
      repairEmptyOffsets(c);
    }
  }

  static boolean hasUnion(org.apache.arrow.vector.types.pojo.Field f) {
    return f.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Union
        || f.getChildren().stream().anyMatch(TypesPropertyTest::hasUnion);
  }

  static VectorSchemaRoot copy(VectorSchemaRoot full) {
    VectorSchemaRoot copy =
        VectorSchemaRoot.create(full.getSchema(), full.getVector(0).getAllocator());
    load(copy, full);
    return copy;
  }

  /** Loads a root's data into another root of the same schema (as Flight does). */
  static void load(VectorSchemaRoot into, VectorSchemaRoot from) {
    try (ArrowRecordBatch batch = new VectorUnloader(from).getRecordBatch()) {
      new VectorLoader(into).load(batch);
    }
  }

  /**
   * @param schema the schema sent (a sliced root's own schema is not: Arrow Java's slice renames
   *     list children and drops metadata)
   */
  static void compare(
      Schema schema,
      VectorSchemaRoot expected,
      VectorSchemaRoot got,
      DictionaryProvider expectedDictionaries,
      DictionaryProvider gotDictionaries,
      int batch) {
    if (!schema.equals(got.getSchema())) {
      fail(
          "batch " + batch + ": schema differs:\n  sent " + schema + "\n  got  " + got.getSchema());
    }
    if (expected.getRowCount() != got.getRowCount()) {
      fail("batch " + batch + ": " + got.getRowCount() + " rows, sent " + expected.getRowCount());
    }
    for (int i = 0; i < expected.getFieldVectors().size(); i++) {
      FieldVector e = expected.getVector(i);
      FieldVector g = got.getVector(i);
      if (!sameValues(e, g)) {
        fail(
            "batch "
                + batch
                + ": column "
                + i
                + " ('"
                + e.getName()
                + "') differs:\n  sent "
                + preview(e)
                + "\n  got  "
                + preview(g));
      }
      validateLike(e, g, "batch " + batch + ": column " + i);
    }
    for (Long id :
        ((DictionaryProvider.MapDictionaryProvider) expectedDictionaries).getDictionaryIds()) {
      FieldVector e = expectedDictionaries.lookup(id).getVector();
      if (gotDictionaries.lookup(id) == null) {
        fail("batch " + batch + ": dictionary " + id + " did not come back");
      }
      FieldVector g = gotDictionaries.lookup(id).getVector();
      if (!sameValues(e, g)) {
        fail(
            "batch "
                + batch
                + ": dictionary "
                + id
                + " differs:\n  sent "
                + preview(e)
                + "\n  got  "
                + preview(g));
      }
    }
  }

  /**
   * Fails when {@code got} does not pass {@link #validateFull} but what was sent does (Arrow Java's
   * validator refuses some valid data, e.g. negative decimal scales).
   */
  static void validateLike(FieldVector sent, FieldVector got, String what) {
    try {
      validateFull(got);
    } catch (RuntimeException x) {
      boolean sentValid;
      try {
        validateFull(sent);
        sentValid = true;
      } catch (RuntimeException y) {
        sentValid = false;
      }
      if (sentValid) {
        throw new AssertionError(what + " fails validateFull: " + x, x);
      }
    }
  }

  /**
   * {@link ValueVectorUtility#validateFull} on every subtree Arrow Java's validator knows: it
   * rejects every map ("Incorrect arrow type ... MapVector"), asks a fixed-size list for its
   * (non-existent) offsets and has no rules for list views, so those are skipped and their children
   * validated.
   */
  static void validateFull(FieldVector v) {
    if (!javaCannotValidate(v.getField())) {
      ValueVectorUtility.validateFull(v);
      return;
    }
    for (FieldVector c : v.getChildrenFromFields()) {
      validateFull(c);
    }
  }

  static boolean javaCannotValidate(org.apache.arrow.vector.types.pojo.Field f) {
    var t = f.getType();
    return t instanceof org.apache.arrow.vector.types.pojo.ArrowType.Map
        || t instanceof org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList
        || t instanceof org.apache.arrow.vector.types.pojo.ArrowType.ListView
        || t instanceof org.apache.arrow.vector.types.pojo.ArrowType.LargeListView
        || f.getChildren().stream().anyMatch(TypesPropertyTest::javaCannotValidate);
  }

  /**
   * Arrow Java's vector equality on values and types (the schema is compared separately: a sliced
   * root's fields lose names, nullability and metadata).
   */
  static boolean sameValues(FieldVector e, FieldVector g) {
    if (e.getValueCount() != g.getValueCount()) {
      return false;
    }
    return new RangeEqualsVisitor(
            e, g, (a, b) -> a.getField().getType().equals(b.getField().getType()))
        .rangeEquals(new Range(0, 0, e.getValueCount()));
  }

  static String preview(FieldVector v) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < Math.min(v.getValueCount(), 12); i++) {
      try {
        Object o = v.getObject(i);
        out.add(o instanceof byte[] b ? java.util.Arrays.toString(b) : String.valueOf(o));
      } catch (RuntimeException e) {
        out.add("<" + e.getClass().getSimpleName() + ">");
      }
    }
    return v.getValueCount() + " values " + out;
  }
}
