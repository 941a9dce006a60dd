package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The C examples of guest-sdk-c (built from source with clang + lld for wasm32, no libc) end to end
 * through a Java FlightClient, on both engines: nulls, empty and many batches, bad input.
 */
class CExamplesExchangeTest {
  static final Schema INT64 = ExamplesExchangeTest.INT64;
  static final Schema UTF8 = ExamplesExchangeTest.UTF8;
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    for (String m : List.of("add_one", "positive", "upper_ascii")) {
      server.register("c_" + m, Guests.c(m));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor fn(String function, String engine) {
    return ExamplesExchangeTest.fn("c_" + function, function, engine);
  }

  @Test
  void registrationReportsTheCatalogOfTheHeaderMacros() {
    JsonNode module = server.register("c_catalog", Guests.c("positive"));
    JsonNode f = module.get("functions").get(0);
    assertEquals("positive", f.get("name").asText(), module.toString());
    assertEquals("filter", f.get("kind").asText(), module.toString());
    assertEquals(1, module.get("functions").size(), module.toString());
    // No libc, no SDK runtime: a few KB (the Rust add_one is ~140 KB).
    assertTrue(Guests.c("positive").length < 16_384, "C positive is too large");
  }

  /** add_one over batches of {@code rows} rows (every 10th null), every value checked. */
  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneOverManyBatchesWithNulls(String engine) throws Exception {
    int batches = 50;
    int rows = engine.equals("aot") ? 5_000 : 300;
    List<String> errors = new ArrayList<>();
    int[] batch = {0};
    long[] checked = {0};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("add_one", engine),
              in,
              batches,
              b -> ExamplesExchangeTest.fillInts(in, b, rows),
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                int b = batch[0]++;
                for (int r = 0; r < out.getRowCount(); r++) {
                  Long v = ExamplesExchangeTest.value(b, r);
                  Long expected = v == null ? null : v + 1;
                  Long got = y.isNull(r) ? null : y.get(r);
                  if (!Objects.equals(expected, got) && errors.size() < 5) {
                    errors.add("batch " + b + " row " + r + ": " + got + " != " + expected);
                  }
                  checked[0]++;
                }
              });
      assertTrue(errors.isEmpty(), errors.toString());
      assertEquals((long) batches * rows, checked[0]);
      assertEquals(INT64, o.schema());
      assertEquals(batches, o.batchRows().size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneWrapsAtTheLimitsAndKeepsAllNullBatches(String engine) throws Exception {
    List<Long> got = new ArrayList<>();
    Long[] values = {Long.MAX_VALUE, Long.MIN_VALUE, -1L, null, 0L};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.run(
          server.client(),
          fn("add_one", engine),
          in,
          2,
          b -> {
            BigIntVector x = (BigIntVector) in.getVector(0);
            x.allocateNew(values.length);
            for (int r = 0; r < values.length; r++) {
              if (b == 1 || values[r] == null) {
                x.setNull(r); // batch 1: all null
              } else {
                x.set(r, values[r]);
              }
            }
            in.setRowCount(values.length);
          },
          out -> {
            BigIntVector y = (BigIntVector) out.getVector(0);
            for (int r = 0; r < out.getRowCount(); r++) {
              got.add(y.isNull(r) ? null : y.get(r));
            }
          });
    }
    assertEquals(
        Arrays.asList(
            Long.MIN_VALUE, Long.MIN_VALUE + 1, 0L, null, 1L, null, null, null, null, null),
        got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void emptyBatchesAndNoBatchAtAll(String engine) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome zeroRows =
          Exchange.run(
              server.client(),
              fn("add_one", engine),
              in,
              3,
              b -> ExamplesExchangeTest.fillInts(in, b, 0),
              out -> {});
      assertEquals(0, zeroRows.rows());
      assertEquals(INT64, zeroRows.schema());
      Exchange.Outcome none =
          Exchange.run(server.client(), fn("add_one", engine), in, 0, b -> {}, out -> {});
      assertEquals(0, none.rows());
      assertEquals(INT64, none.schema());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void positiveKeepsValidRowsAboveZero(String engine) throws Exception {
    int rows = 1_000;
    List<Long> got = new ArrayList<>();
    List<Long> expected = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              fn("positive", engine),
              in,
              4,
              b -> {
                ExamplesExchangeTest.fillInts(in, b, rows);
                for (int r = 0; r < rows; r++) {
                  Long v = ExamplesExchangeTest.value(b, r);
                  if (v != null && v > 0) {
                    expected.add(v);
                  }
                }
              },
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(y.get(r));
                }
              });
      assertEquals(INT64, o.schema());
    }
    assertTrue(!expected.isEmpty() && expected.size() < 4 * rows, "the data has both kinds");
    assertEquals(expected, got);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void upperAsciiKeepsNullsEmptyStringsAndOtherBytes(String engine) throws Exception {
    String[] inputs = {"hello", "", null, "straße", "MiXeD 123", "ünï"};
    String[] expected = {"HELLO", "", null, "STRAßE", "MIXED 123", "üNï"};
    List<String> got = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(UTF8, server.allocator)) {
      Exchange.run(
          server.client(),
          fn("upper_ascii", engine),
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
      assertEquals(expected[i % inputs.length], got.get(i), "row " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aWrongColumnTypeIsRefusedWithTheGuestsMessage(String engine) {
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
        "column 0 ('s') has format 'u', expected int64 ('l')");
  }

  @Test
  void noColumnIsRefused() {
    Schema none = new Schema(List.<Field>of());
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> {
          try (VectorSchemaRoot in = VectorSchemaRoot.create(none, server.allocator)) {
            Exchange.run(
                server.client(), fn("positive", "aot"), in, 1, b -> in.setRowCount(3), out -> {});
          }
        },
        "positive needs an int64 column 0");
  }
}
