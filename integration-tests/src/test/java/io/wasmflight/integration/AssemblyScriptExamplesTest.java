package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The AssemblyScript examples (guest-sdk-as/examples/as_examples.ts, built from source by
 * guest-sdk-as/build-examples.sh during the Maven build) end to end through a Java FlightClient, on
 * both engines.
 */
class AssemblyScriptExamplesTest {
  static final String MODULE = "as_examples";
  static final Schema INT64 = ExamplesExchangeTest.INT64;
  static final Schema FLOAT64 =
      new Schema(
          List.of(Field.nullable("c", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
  static final Schema UTF8 = new Schema(List.of(Field.nullable("name", ArrowType.Utf8.INSTANCE)));
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register(MODULE, Guests.assemblyScript(MODULE));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor fn(String function, String engine) {
    return ExamplesExchangeTest.fn(MODULE, function, engine);
  }

  /** Value of row r of batch b: every 10th row null, the int64 extremes in batch 0. */
  static Long value(int b, int r) {
    if (b == 0 && r == 1) {
      return Long.MAX_VALUE;
    }
    if (b == 0 && r == 2) {
      return Long.MIN_VALUE;
    }
    return ExamplesExchangeTest.value(b, r);
  }

  static List<Long> addOne(String engine, int batches, int rows) throws Exception {
    List<Long> got = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("add_one", engine),
              in,
              batches,
              b -> {
                BigIntVector x = (BigIntVector) in.getVector(0);
                x.allocateNew(rows);
                for (int r = 0; r < rows; r++) {
                  Long v = value(b, r);
                  if (v == null) {
                    x.setNull(r);
                  } else {
                    x.set(r, v);
                  }
                }
                in.setRowCount(rows);
              },
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(y.isNull(r) ? null : y.get(r));
                }
              });
      assertEquals(INT64, o.schema());
      assertEquals(batches, o.batchRows().size());
    }
    return got;
  }

  @Test
  void registrationListsTheCatalog() {
    JsonNode module = server.register("as_again", Guests.assemblyScript(MODULE));
    List<String> names = new ArrayList<>();
    module.get("functions").forEach(f -> names.add(f.get("name").asText()));
    assertEquals(List.of("add_one", "fahrenheit", "greet", "line_total"), names);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneKeepsNullsOverManyBatches(String engine) throws Exception {
    int batches = 60;
    int rows = engine.equals("aot") ? 10_000 : 300;
    List<Long> got = addOne(engine, batches, rows);
    assertEquals(batches * rows, got.size());
    int nulls = 0;
    for (int i = 0; i < got.size(); i++) {
      Long v = value(i / rows, i % rows);
      assertEquals(v == null ? null : v + 1, got.get(i), "row " + i);
      nulls += v == null ? 1 : 0;
    }
    assertEquals(Long.MIN_VALUE, got.get(1), "Long.MAX_VALUE + 1 wraps");
    assertEquals(batches * (rows / 10), nulls);
  }

  @Test
  void addOneOnAMillionRowBatch() throws Exception {
    List<Long> got = addOne("aot", 2, 1_000_000);
    assertEquals(2_000_000, got.size());
    for (int i = 0; i < got.size(); i += 997) {
      Long v = value(i / 1_000_000, i % 1_000_000);
      assertEquals(v == null ? null : v + 1, got.get(i), "row " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void emptyStreamAndZeroRowBatches(String engine) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome none =
          Exchange.run(server.client(), fn("add_one", engine), in, 0, b -> {}, out -> {});
      assertEquals(INT64, none.schema(), "schema of the guest's answer to a zero-row batch");
      assertEquals(List.of(), none.batchRows());
      Exchange.Outcome empty =
          Exchange.run(
              server.client(),
              fn("add_one", engine),
              in,
              3,
              b -> {
                in.allocateNew();
                in.setRowCount(0);
              },
              out -> {});
      assertEquals(INT64, empty.schema());
      assertEquals(0, empty.rows());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void fahrenheitOnFloat64WithNulls(String engine) throws Exception {
    Double[] inputs = {0.0, 100.0, null, -40.0, 36.6, Double.NaN, -0.0, 1e300, null};
    List<Double> got = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(FLOAT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("fahrenheit", engine),
              in,
              4,
              b -> {
                Float8Vector c = (Float8Vector) in.getVector(0);
                c.allocateNew(inputs.length);
                for (int r = 0; r < inputs.length; r++) {
                  if (inputs[r] == null) {
                    c.setNull(r);
                  } else {
                    c.set(r, inputs[r] + b);
                  }
                }
                in.setRowCount(inputs.length);
              },
              out -> {
                Float8Vector f = (Float8Vector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(f.isNull(r) ? null : f.get(r));
                }
              });
      assertEquals(FLOAT64, o.schema());
    }
    assertEquals(4 * inputs.length, got.size());
    for (int i = 0; i < got.size(); i++) {
      Double c = inputs[i % inputs.length];
      Double expected = c == null ? null : (c + i / inputs.length) * 1.8 + 32.0;
      assertEquals(expected, got.get(i), "row " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void greetRoundTripsUnicodeEmptyAndNull(String engine) throws Exception {
    String[] inputs = {"Ada", "", null, "straße", "Zoë ✓", "日本語", "🦀 crab", "a\u0000b"};
    List<String> got = new ArrayList<>();
    int batches = 25;
    try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("greet", engine),
              in,
              batches,
              b -> {
                VarCharVector s = (VarCharVector) in.getVector(0);
                s.allocateNew();
                for (int r = 0; r < inputs.length; r++) {
                  if (inputs[r] == null) {
                    s.setNull(r);
                  } else {
                    s.setSafe(r, (inputs[r] + b).getBytes(StandardCharsets.UTF_8));
                  }
                }
                in.setRowCount(inputs.length);
              },
              out -> {
                VarCharVector s = (VarCharVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(s.isNull(r) ? null : new String(s.get(r), StandardCharsets.UTF_8));
                }
              });
      assertEquals(UTF8, o.schema());
    }
    assertEquals(batches * inputs.length, got.size());
    for (int i = 0; i < got.size(); i++) {
      String name = inputs[i % inputs.length];
      String expected = name == null ? null : "Hello, " + name + i / inputs.length + "!";
      assertEquals(expected, got.get(i), "row " + i);
    }
  }

  @Test
  void greetOnLargeBatchesWhileTheGarbageCollectorRuns() throws Exception {
    // 200,000 strings decoded and built per session: the incremental GC collects in between,
    // while the output builders hold raw pointers the GC does not know about.
    int rows = 20_000;
    long[] checked = {0};
    int[] batch = {0};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
      Exchange.run(
          server.client(),
          fn("greet", "aot"),
          in,
          10,
          b -> {
            VarCharVector s = (VarCharVector) in.getVector(0);
            s.allocateNew();
            for (int r = 0; r < rows; r++) {
              if (r % 13 == 5) {
                s.setNull(r);
              } else {
                s.setSafe(r, ("n" + b + "·" + r).getBytes(StandardCharsets.UTF_8));
              }
            }
            in.setRowCount(rows);
          },
          out -> {
            VarCharVector s = (VarCharVector) out.getVector(0);
            int b = batch[0]++;
            for (int r = 0; r < out.getRowCount(); r++) {
              String expected = r % 13 == 5 ? null : "Hello, n" + b + "·" + r + "!";
              assertEquals(
                  expected,
                  s.isNull(r) ? null : new String(s.get(r), StandardCharsets.UTF_8),
                  "batch " + b + " row " + r);
              checked[0]++;
            }
          });
    }
    assertEquals(10L * rows, checked[0]);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void lineTotalPassesIdThroughWithItsDeclaredSchema(String engine) throws Exception {
    Schema input =
        new Schema(
            List.of(
                Field.nullable("id", new ArrowType.Int(64, true)),
                Field.nullable("qty", new ArrowType.Int(64, true)),
                Field.nullable(
                    "price", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    Schema declared =
        server.client().getSchema(FlightDescriptor.path(MODULE, "line_total")).getSchema();
    assertEquals(
        List.of("id", "total"), declared.getFields().stream().map(Field::getName).toList());
    List<Double> totals = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(input, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("line_total", engine),
              in,
              2,
              b -> {
                in.allocateNew();
                BigIntVector id = (BigIntVector) in.getVector("id");
                BigIntVector qty = (BigIntVector) in.getVector("qty");
                Float8Vector price = (Float8Vector) in.getVector("price");
                for (int r = 0; r < 5; r++) {
                  id.set(r, 100 * b + r);
                  qty.set(r, r);
                  price.set(r, 1.5 * r);
                }
                qty.setNull(2);
                price.setNull(4);
                in.setRowCount(5);
              },
              out -> {
                Float8Vector t = (Float8Vector) out.getVector("total");
                BigIntVector id = (BigIntVector) out.getVector("id");
                for (int r = 0; r < out.getRowCount(); r++) {
                  totals.add(t.isNull(r) ? null : t.get(r));
                  ids.add(id.get(r));
                }
              });
      assertEquals(declared, o.schema());
    }
    List<Double> one = Arrays.asList(0.0, 1.5, null, 13.5, null);
    List<Double> expected = new ArrayList<>(one);
    expected.addAll(one);
    assertEquals(expected, totals);
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 100L, 101L, 102L, 103L, 104L), ids);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void wrongInputIsRefusedWithTheGuestsMessage(String engine) {
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> {
          try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
            Exchange.run(
                server.client(),
                fn("add_one", engine),
                in,
                1,
                b -> {
                  in.allocateNew();
                  in.setRowCount(0);
                },
                out -> {});
          }
        },
        "input rejected by guest in as_examples/add_one ("
            + engine
            + ") at batch 0: column 0 "
            + "('name') is utf8, expected int64");
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> {
          try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
            Exchange.run(
                server.client(),
                fn("line_total", engine),
                in,
                1,
                b -> {
                  in.allocateNew();
                  in.setRowCount(0);
                },
                out -> {});
          }
        },
        "expected columns (id, qty, price), got 1");
  }

  @Test
  void outputMemoryIsFreedAfterEveryBatch() throws Exception {
    // 200 batches of 20,000 rows: 32 MB of output in all, twice the 256 pages (16 MiB) the
    // session may use, so it only passes if wf_release frees each batch's output.
    FlightDescriptor capped =
        FlightDescriptor.command(
            ("{\"module\":\""
                    + MODULE
                    + "\",\"function\":\"add_one\",\"limits\":{\"max_memory_pages\":256}}")
                .getBytes(StandardCharsets.UTF_8));
    long[] checked = {0};
    int rows = 20_000;
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              capped,
              in,
              200,
              b -> {
                BigIntVector x = (BigIntVector) in.getVector(0);
                x.allocateNew(rows);
                for (int r = 0; r < rows; r++) {
                  x.set(r, (long) b * rows + r);
                }
                in.setRowCount(rows);
              },
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                long first = y.get(0) - 1;
                for (int r = 0; r < out.getRowCount(); r++) {
                  assertEquals(first + r + 1, y.get(r));
                  checked[0]++;
                }
              });
      assertEquals(200, o.batchRows().size());
    }
    assertEquals(200L * rows, checked[0]);
  }
}
