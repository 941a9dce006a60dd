package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Rust SDK examples that declare their input with {@code export_functions!}'s {@code input
 * [...]} — {@code gcd} (map) and {@code series} (table, row_index) — built from source, end to end
 * through a Java FlightClient on both engines: their catalogs as the host reads them, their values,
 * their errors, and the host refusing another input before the guest runs.
 */
class InputExamplesTest {
  static final ArrowType INT32 = new ArrowType.Int(32, true);
  static final Schema PAIRS =
      new Schema(List.of(Field.nullable("a", INT32), Field.nullable("b", INT32)));
  static final Schema NS = new Schema(List.of(Field.nullable("n", INT32)));
  static TestServer server;
  static JsonNode gcdCatalog;
  static JsonNode seriesCatalog;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    gcdCatalog = server.register("gcd", Guests.rust("gcd"));
    seriesCatalog = server.register("series", Guests.rust("series"));
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

  /** The exchange's outcome; every output row, as its column values, goes to {@code out}. */
  static Exchange.Outcome run(
      String name,
      String engine,
      Schema schema,
      int batches,
      BiConsumer<VectorSchemaRoot, Integer> fill,
      List<List<Object>> out)
      throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(schema, server.allocator)) {
      return Exchange.run(
          server.client(),
          command(name, engine),
          in,
          batches,
          b -> fill.accept(in, b),
          root -> {
            for (int r = 0; r < root.getRowCount(); r++) {
              List<Object> row = new ArrayList<>();
              for (FieldVector v : root.getFieldVectors()) {
                row.add(v.getObject(r));
              }
              out.add(row);
            }
          });
    }
  }

  /** Fills int32 column {@code column} with {@code values} (null for null). */
  static void ints(VectorSchemaRoot root, int column, Integer... values) {
    IntVector v = (IntVector) root.getVector(column);
    v.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        v.setNull(i);
      } else {
        v.set(i, values[i]);
      }
    }
    v.setValueCount(values.length);
    root.setRowCount(values.length);
  }

  static List<Object> row(Object... values) {
    List<Object> row = new ArrayList<>();
    for (Object v : values) {
      row.add(v);
    }
    return row;
  }

  @Test
  void catalogsDeclareInputAndOutput() throws Exception {
    JsonNode gcd = gcdCatalog.get("functions").get(0);
    assertEquals("gcd", gcd.get("name").asText());
    assertEquals("map", gcd.get("kind").asText());
    assertEquals(
        TestServer.JSON.readTree(
            "[{\"name\":\"a\",\"format\":\"i\",\"nullable\":true},"
                + "{\"name\":\"b\",\"format\":\"i\",\"nullable\":true}]"),
        gcd.get("input"));
    assertEquals(
        TestServer.JSON.readTree("[{\"name\":\"gcd\",\"format\":\"i\",\"nullable\":true}]"),
        gcd.get("output"));
    JsonNode series = seriesCatalog.get("functions").get(0);
    assertEquals("table", series.get("kind").asText());
    assertEquals("row", series.get("row_index").asText());
    assertEquals(
        TestServer.JSON.readTree("[{\"name\":\"n\",\"format\":\"i\",\"nullable\":true}]"),
        series.get("input"));
    assertEquals(
        TestServer.JSON.readTree(
            "[{\"name\":\"row\",\"format\":\"i\",\"nullable\":false},"
                + "{\"name\":\"series\",\"format\":\"i\",\"nullable\":true}]"),
        series.get("output"));

    Schema gcdSchema = server.client().getSchema(FlightDescriptor.path("gcd", "gcd")).getSchema();
    assertEquals("[gcd: Int(32, true)]", gcdSchema.getFields().toString());
    assertEquals(
        gcd.get("input"),
        TestServer.JSON.readTree(gcdSchema.getCustomMetadata().get("wasm_flight.input")));
    Schema seriesSchema =
        server.client().getSchema(FlightDescriptor.path("series", "series")).getSchema();
    assertEquals(
        "[row: Int(32, true) not null, series: Int(32, true)]",
        seriesSchema.getFields().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void gcdPerRow(String engine) throws Exception {
    List<List<Object>> got = new ArrayList<>();
    Exchange.Outcome o =
        run(
            "gcd",
            engine,
            PAIRS,
            2,
            (root, b) -> {
              if (b == 0) {
                ints(root, 0, 12, -12, 0, 0, null, 7, Integer.MIN_VALUE, Integer.MIN_VALUE);
                ints(root, 1, 18, 18, 0, -5, 3, null, 6, Integer.MAX_VALUE);
              } else {
                ints(root, 0, Integer.MAX_VALUE, -(1 << 30), 17);
                ints(root, 1, 0, Integer.MIN_VALUE, 5);
              }
            },
            got);
    assertEquals("[gcd: Int(32, true)]", o.schema().getFields().toString());
    assertEquals(List.of(8, 3), o.batchRows());
    List<List<Object>> want = new ArrayList<>();
    for (Integer g : new Integer[] {6, 6, 0, 5, null, null, 2, 1, Integer.MAX_VALUE, 1 << 30, 1}) {
      want.add(row(g));
    }
    assertEquals(want, got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void gcdOfTwoToThe31IsTheGuestsError(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () ->
            run(
                "gcd",
                engine,
                PAIRS,
                1,
                (root, b) -> {
                  ints(root, 0, 4, Integer.MIN_VALUE);
                  ints(root, 1, 2, 0);
                },
                new ArrayList<>()),
        "guest error in gcd/gcd",
        "gcd(-2147483648, 0) does not fit in int32");
  }

  @Test
  void anotherInputIsRefusedBeforeTheGuestRuns() {
    Schema int64s =
        new Schema(
            List.of(
                Field.nullable("a", new ArrowType.Int(64, true)),
                Field.nullable("b", new ArrowType.Int(64, true))));
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () ->
            run(
                "gcd",
                "aot",
                int64s,
                1,
                (root, b) -> {
                  for (int c = 0; c < 2; c++) {
                    BigIntVector v = (BigIntVector) root.getVector(c);
                    v.allocateNew(1);
                    v.set(0, 4);
                    v.setValueCount(1);
                  }
                  root.setRowCount(1);
                },
                new ArrayList<>()),
        "the input does not match the declared input of function 'gcd'",
        "input column 0 'a' is of type Int(64, true), declared 'a' Int(32, true)");
    Schema renamed = new Schema(List.of(Field.nullable("m", INT32)));
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> run("series", "aot", renamed, 1, (root, b) -> ints(root, 0, 2), new ArrayList<>()),
        "the input does not match the declared input of function 'series'",
        "input column 0 is 'm', declared 'n'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void seriesRowsInBatchesOf1024(String engine) throws Exception {
    List<List<Object>> got = new ArrayList<>();
    Exchange.Outcome o =
        run(
            "series",
            engine,
            NS,
            2,
            (root, b) -> {
              if (b == 0) {
                ints(root, 0, 3, null, 0, -2, Integer.MIN_VALUE, 2000);
              } else {
                ints(root, 0, null, 2);
              }
            },
            got);
    assertEquals(
        "[row: Int(32, true) not null, series: Int(32, true)]", o.schema().getFields().toString());
    // Batch 0: 3 + 2000 rows in batches of 1024 and 979; batch 1: 2 rows.
    assertEquals(List.of(1024, 979, 2), o.batchRows());
    List<List<Object>> want = new ArrayList<>();
    for (int v = 0; v < 3; v++) {
      want.add(row(0, v));
    }
    for (int v = 0; v < 2000; v++) {
      want.add(row(5, v));
    }
    want.add(row(1, 0));
    want.add(row(1, 1));
    assertEquals(want, got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void seriesWithNoRows(String engine) throws Exception {
    List<List<Object>> got = new ArrayList<>();
    Exchange.Outcome o = run("series", engine, NS, 1, (root, b) -> ints(root, 0, null, 0, -1), got);
    assertEquals(List.of(), got);
    assertEquals(List.of(), o.batchRows());
    assertEquals(
        "[row: Int(32, true) not null, series: Int(32, true)]", o.schema().getFields().toString());
  }

  @Test
  void seriesRefusesAnNOverTheLimit() {
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () ->
            run(
                "series",
                "aot",
                NS,
                1,
                (root, b) -> ints(root, 0, 1, 10_000_001),
                new ArrayList<>()),
        "series: n = 10000001 (input row 1) is more than 10000000");
  }
}
