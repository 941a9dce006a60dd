package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ABI 1.2 kinds through a Java FlightClient, on both engines, with the Rust SDK's examples
 * built from source (the pyarrow suite, python/test_kinds.py, covers each in more depth).
 */
class KindsExamplesTest {
  static TestServer server;
  static final Schema LINES = new Schema(List.of(Field.nullable("line", ArrowType.Utf8.INSTANCE)));

  @BeforeAll
  static void start() {
    server = TestServer.start();
    for (String name : List.of("positive", "split_words", "word_count", "summary", "to_jsonl")) {
      server.register(name, Guests.rust(name));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor command(String name, String engine) {
    return FlightDescriptor.command(
        ("{\"module\":\""
                + name
                + "\",\"function\":\""
                + name
                + "\",\"engine\":\""
                + engine
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** Runs the exchange and returns every output row as a list of its column values. */
  static List<List<Object>> rows(
      String name,
      String engine,
      Schema schema,
      int batches,
      java.util.function.BiConsumer<VectorSchemaRoot, Integer> fill)
      throws Exception {
    List<List<Object>> out = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(schema, server.allocator)) {
      IntConsumer refill = b -> fill.accept(in, b);
      Exchange.run(
          server.client(),
          command(name, engine),
          in,
          batches,
          refill,
          root -> {
            for (int r = 0; r < root.getRowCount(); r++) {
              List<Object> row = new ArrayList<>();
              for (FieldVector v : root.getFieldVectors()) {
                Object o = v.getObject(r);
                row.add(o == null ? null : o.toString());
              }
              out.add(row);
            }
          });
    }
    return out;
  }

  static void lines(VectorSchemaRoot root, String... values) {
    VarCharVector v = (VarCharVector) root.getVector(0);
    v.allocateNew();
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        v.setNull(i);
      } else {
        v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(values.length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void filter(String engine) throws Exception {
    Schema schema = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
    List<List<Object>> got =
        rows(
            "positive",
            engine,
            schema,
            2,
            (root, b) -> {
              BigIntVector x = (BigIntVector) root.getVector(0);
              x.allocateNew(3);
              x.set(0, b == 0 ? -1 : 5);
              x.setNull(1);
              x.set(2, b == 0 ? 2 : 0);
              root.setRowCount(3);
            });
    assertEquals(List.of(List.of("2"), List.of("5")), got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void table(String engine) throws Exception {
    List<List<Object>> got =
        rows(
            "split_words",
            engine,
            LINES,
            2,
            (root, b) -> lines(root, b == 0 ? new String[] {"a b", null} : new String[] {"", "c"}));
    assertEquals(List.of(List.of("0", "a"), List.of("0", "b"), List.of("1", "c")), got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void groupedAggregate(String engine) throws Exception {
    List<List<Object>> got =
        rows("word_count", engine, LINES, 2, (root, b) -> lines(root, "b a", b == 0 ? "a" : null));
    assertEquals(List.of(List.of("a", "3"), List.of("b", "2")), got);
    assertEquals(List.of(), rows("word_count", engine, LINES, 0, (root, b) -> {}));
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aggregate(String engine) throws Exception {
    Schema schema =
        new Schema(
            List.of(
                Field.nullable("v", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    List<List<Object>> got =
        rows(
            "summary",
            engine,
            schema,
            2,
            (root, b) -> {
              Float8Vector v = (Float8Vector) root.getVector(0);
              v.allocateNew(2);
              v.set(0, b == 0 ? 1.0 : 5.0);
              v.setNull(1);
              root.setRowCount(2);
            });
    assertEquals(List.of(List.of("2", "1.0", "5.0", "3.0")), got);
    List<Object> empty = new ArrayList<>();
    empty.add("0");
    empty.add(null);
    empty.add(null);
    empty.add(null);
    assertEquals(List.of(empty), rows("summary", engine, schema, 0, (root, b) -> {}));
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void encoder(String engine) throws Exception {
    List<List<Object>> got =
        rows("to_jsonl", engine, LINES, 1, (root, b) -> lines(root, "q\"", null));
    assertEquals(List.of(List.of("{\"line\":\"q\\\"\"}"), List.of("{\"line\":null}")), got);
  }
}
