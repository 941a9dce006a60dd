package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
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
 * The WAT tutorial (proto-docs/guest-wat.md): its one {@code ```wat} block, compiled as it stands
 * in the page, registered and called on both engines.
 */
class WatTutorialTest {
  static final Path DOC = Path.of("..", "proto-docs", "guest-wat.md");
  static final Pattern WAT_BLOCK =
      Pattern.compile("^```wat\\n(.*?)^```$", Pattern.DOTALL | Pattern.MULTILINE);
  static final Schema INT64 = ExamplesExchangeTest.INT64;
  static TestServer server;
  static JsonNode registered;

  static String watFromDoc() throws IOException {
    Matcher m = WAT_BLOCK.matcher(Files.readString(DOC, StandardCharsets.UTF_8));
    assertTrue(m.find(), "no ```wat block in " + DOC);
    String wat = m.group(1);
    assertTrue(!m.find(), "the tutorial must have exactly one ```wat block");
    return wat;
  }

  @BeforeAll
  static void start() throws IOException {
    server = TestServer.start();
    registered = server.register("tutorial", Wat2Wasm.parse(watFromDoc()));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void theCatalogHasAddOne() {
    assertEquals(1, registered.get("functions").size());
    JsonNode f = registered.get("functions").get(0);
    assertEquals("add_one", f.get("name").asText());
    assertEquals("map", f.get("kind").asText());
  }

  /** Batches of growing and shrinking sizes (the output buffer is reallocated, then reused). */
  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void addOneWithNullsOverBatchesOfChangingSize(String engine) throws Exception {
    int[] sizes = {0, 1, 7, 1000, 3, 0, 4096, 17, 2500, 1};
    List<Long> got = new ArrayList<>();
    List<Integer> outRows = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INT64, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              ExamplesExchangeTest.fn("tutorial", "add_one", engine),
              in,
              sizes.length,
              b -> ExamplesExchangeTest.fillInts(in, b, sizes[b]),
              out -> {
                outRows.add(out.getRowCount());
                BigIntVector y = (BigIntVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(y.isNull(r) ? null : y.get(r));
                }
              });
      assertEquals(INT64, o.schema());
    }
    int i = 0;
    int checked = 0;
    for (int b = 0; b < sizes.length; b++) {
      for (int r = 0; r < sizes[b]; r++) {
        Long v = ExamplesExchangeTest.value(b, r);
        assertEquals(v == null ? null : v + 1, got.get(i++), "batch " + b + " row " + r);
        checked++;
      }
    }
    assertEquals(got.size(), checked);
    int nonEmpty = (int) java.util.Arrays.stream(sizes).filter(s -> s > 0).count();
    assertTrue(outRows.size() >= nonEmpty, "one output batch per non-empty input batch");
  }

  @Test
  void noNullsAndAnEmptyStream() throws Exception {
    Schema notNull = new Schema(List.of(Field.notNullable("n", new ArrowType.Int(64, true))));
    List<Long> got = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(notNull, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("tutorial", "add_one"),
              in,
              2,
              b -> {
                BigIntVector x = (BigIntVector) in.getVector(0);
                x.allocateNew(3);
                x.set(0, Long.MAX_VALUE);
                x.set(1, -1);
                x.set(2, b);
                in.setRowCount(3);
              },
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                for (int r = 0; r < out.getRowCount(); r++) {
                  got.add(y.get(r));
                }
              });
      assertEquals(notNull, o.schema(), "name and nullability come from the input");
      assertEquals(List.of(Long.MIN_VALUE, 0L, 1L, Long.MIN_VALUE, 0L, 2L), got);
      Exchange.Outcome empty =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("tutorial", "add_one"),
              in,
              0,
              b -> {},
              out -> {});
      assertEquals(notNull, empty.schema());
      assertEquals(List.of(), empty.batchRows());
    }
  }

  @Test
  void aWrongInputGetsTheDocumentedMessage() {
    Schema utf8 = new Schema(List.of(Field.nullable("s", ArrowType.Utf8.INSTANCE)));
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> {
          try (VectorSchemaRoot in = VectorSchemaRoot.create(utf8, server.allocator)) {
            Exchange.run(
                server.client(),
                FlightDescriptor.path("tutorial", "add_one"),
                in,
                1,
                b -> {
                  in.allocateNew();
                  in.setRowCount(0);
                },
                out -> {});
          }
        },
        "input rejected by guest in tutorial/add_one (aot) at batch 0: "
            + "add_one takes one int64 column");
  }
}
