package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
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

/** The Rust SDK examples, built from source, end to end through a Java FlightClient. */
class ExamplesExchangeTest {
  static final Schema INT64 = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
  static final Schema UTF8 = new Schema(List.of(Field.nullable("s", ArrowType.Utf8.INSTANCE)));
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    for (String m : List.of("add_one", "upper", "line_total")) {
      server.register(m, Guests.rust(m));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor fn(String module, String function, String engine) {
    return FlightDescriptor.command(
        ("{\"module\":\""
                + module
                + "\",\"function\":\""
                + function
                + "\",\"engine\":\""
                + engine
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /** Value of row r of batch b; every 10th row null. */
  static Long value(int b, int r) {
    return r % 10 == 7 ? null : (long) b * 1_000_000_007L - r * 31L;
  }

  static void fillInts(VectorSchemaRoot root, int batch, int rows) {
    BigIntVector x = (BigIntVector) root.getVector(0);
    x.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      Long v = value(batch, r);
      if (v == null) {
        x.setNull(r);
      } else {
        x.set(r, v);
      }
    }
    root.setRowCount(rows);
  }

  /** Sends {@code batches} batches of {@code rows} rows through add_one and checks every value. */
  static Exchange.Outcome addOne(String engine, int batches, int rows) throws Exception {
    AtomicLong checked = new AtomicLong();
    List<String> errors = new ArrayList<>();
    int[] batch = {0};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("add_one", "add_one", engine),
              in,
              batches,
              b -> fillInts(in, b, rows),
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                int b = batch[0]++;
                for (int r = 0; r < out.getRowCount(); r++) {
                  Long v = value(b, r);
                  Long expected = v == null ? null : v + 1;
                  Long got = y.isNull(r) ? null : y.get(r);
                  if (!java.util.Objects.equals(expected, got) && errors.size() < 5) {
                    errors.add("batch " + b + " row " + r + ": " + got + " != " + expected);
                  }
                  checked.incrementAndGet();
                }
              });
      assertTrue(errors.isEmpty(), errors.toString());
      assertEquals((long) batches * rows, checked.get());
      assertEquals(INT64, o.schema());
      return o;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneOverManyBatches(String engine) throws Exception {
    Exchange.Outcome o = addOne(engine, 120, engine.equals("aot") ? 10_000 : 500);
    assertEquals(120, o.batchRows().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneOnAMillionRowBatch(String engine) throws Exception {
    Exchange.Outcome o = addOne(engine, 2, 1_000_000);
    assertEquals(List.of(1_000_000, 1_000_000), o.batchRows());
  }

  @Test
  void addOneOnSlicedInput() throws Exception {
    // A root sliced at odd offsets: the client re-packs it, the values must still line up.
    try (VectorSchemaRoot full = VectorSchemaRoot.create(INT64, server.allocator)) {
      fillInts(full, 3, 1000);
      for (int offset : new int[] {1, 3, 8, 13}) {
        try (VectorSchemaRoot sliced = full.slice(offset, 500)) {
          List<Long> got = new ArrayList<>();
          Exchange.run(
              server.client(),
              FlightDescriptor.path("add_one", "add_one"),
              sliced,
              1,
              b -> {},
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(y.isNull(r) ? null : y.get(r));
                }
              });
          for (int r = 0; r < 500; r++) {
            Long v = value(3, r + offset);
            assertEquals(v == null ? null : v + 1, got.get(r), "offset " + offset + " row " + r);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void upperHandlesUnicodeEmptyAndNull(String engine) throws Exception {
    String[] inputs = {"hello", "", null, "straße", "ǆemal", "ẞig ünïcödé ✓", "MiXeD 123"};
    List<String> got = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
      Exchange.run(
          server.client(),
          fn("upper", "upper", engine),
          in,
          3,
          b -> {
            VarCharVector s = (VarCharVector) in.getVector(0);
            s.allocateNew();
            for (int r = 0; r < inputs.length; r++) {
              if (inputs[r] == null) {
                s.setNull(r);
              } else {
                s.setSafe(r, inputs[r].getBytes(StandardCharsets.UTF_8));
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
    }
    assertEquals(3 * inputs.length, got.size());
    for (int i = 0; i < got.size(); i++) {
      String in = inputs[i % inputs.length];
      assertEquals(in == null ? null : in.toUpperCase(Locale.ROOT), got.get(i), "row " + i);
    }
  }

  @Test
  void lineTotalHasItsDeclaredSchema() throws Exception {
    Schema input =
        new Schema(
            List.of(
                Field.nullable("id", new ArrowType.Int(64, true)),
                Field.nullable("qty", new ArrowType.Int(64, true)),
                Field.nullable(
                    "price", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    Schema declared =
        server.client().getSchema(FlightDescriptor.path("line_total", "line_total")).getSchema();
    List<Double> totals = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(input, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("line_total", "line_total"),
              in,
              1,
              b -> {
                in.allocateNew();
                BigIntVector id = (BigIntVector) in.getVector("id");
                BigIntVector qty = (BigIntVector) in.getVector("qty");
                Float8Vector price = (Float8Vector) in.getVector("price");
                for (int r = 0; r < 4; r++) {
                  id.set(r, 100 + r);
                  qty.set(r, r);
                  price.set(r, 1.5 * r);
                }
                qty.setNull(2);
                in.setRowCount(4);
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
    assertEquals(java.util.Arrays.asList(0.0, 1.5, null, 13.5), totals);
    assertEquals(List.of(100L, 101L, 102L, 103L), ids);
    assertEquals(
        List.of("id", "total"), declared.getFields().stream().map(Field::getName).toList());
  }

  @Test
  void guestRefusesAWrongColumnType() {
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> {
          try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
            Exchange.run(
                server.client(),
                FlightDescriptor.path("add_one", "add_one"),
                in,
                1,
                b -> {
                  in.allocateNew();
                  in.setRowCount(0);
                },
                out -> {});
          }
        },
        "input rejected by guest in add_one/add_one (aot) at batch 0: column 0 ('s') is utf8, "
            + "expected int64");
  }

  @Test
  void emptyStreamsStillCarryASchema() throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("add_one", "add_one"),
              in,
              0,
              b -> {},
              out -> {});
      assertEquals(INT64, o.schema(), "schema of the guest's answer to a zero-row batch");
      assertEquals(List.of(), o.batchRows());
    }
  }

  @Test
  void cancellingMidStreamReleasesEverything() throws Exception {
    // The leak check is the server allocator closing at the end of the class.
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      for (int attempt = 0; attempt < 5; attempt++) {
        FlightClient.ExchangeReaderWriter rw =
            server.client().doExchange(FlightDescriptor.path("add_one", "add_one"));
        rw.getWriter().start(in);
        for (int b = 0; b < 3; b++) {
          fillInts(in, b, 50_000);
          rw.getWriter().putNext();
        }
        FlightStream reader = rw.getReader();
        assertTrue(reader.next());
        reader.cancel("test cancels", null);
        try {
          rw.close();
        } catch (Exception expected) {
          // closing a cancelled exchange reports the cancellation
        }
      }
    }
    addOne("aot", 2, 100); // and the server still serves
  }
}
