package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Rust examples {@code gcd} (a scalar UDF) and {@code series} (a table UDF) called the way
 * RisingWave and Databend call remote UDFs (engines.md): {@link ArrowUdfClient} sends RisingWave's
 * exact messages, {@link DatabendUdfClient} follows Databend's client.
 */
class EngineExamplesTest {
  static final ArrowType I32 = new ArrowType.Int(32, true);
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register("gcd", Guests.rust("gcd"));
    server.register("series", Guests.rust("series"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static VectorSchemaRoot ints(Schema schema, Integer[]... columns) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, server.allocator);
    int rows = columns[0].length;
    for (int c = 0; c < columns.length; c++) {
      IntVector v = (IntVector) root.getVector(c);
      v.allocateNew(rows);
      for (int r = 0; r < rows; r++) {
        if (columns[c][r] == null) {
          v.setNull(r);
        } else {
          v.set(r, columns[c][r]);
        }
      }
      v.setValueCount(rows);
    }
    root.setRowCount(rows);
    return root;
  }

  static Integer gcd(Integer a, Integer b) {
    if (a == null || b == null) {
      return null;
    }
    return BigInteger.valueOf(a).gcd(BigInteger.valueOf(b)).intValueExact();
  }

  @Test
  void risingWaveCreatesAndCallsTheScalarGcd() throws Exception {
    try (ArrowUdfClient rw = new ArrowUdfClient(server)) {
      // CREATE FUNCTION gcd(int, int) RETURNS int AS 'gcd.gcd' USING LINK '...'
      rw.createFunction("gcd.gcd", List.of(I32, I32), I32, false);
      Schema args = ArrowUdfClient.argSchema(List.of(I32, I32));
      // Several calls (one batch each, as RisingWave sends a data chunk per call), with nulls.
      for (int call = 0; call < 4; call++) {
        int rows = 257 * (call + 1);
        Integer[] a = new Integer[rows];
        Integer[] b = new Integer[rows];
        List<Object> want = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
          a[i] = i % 17 == 3 ? null : (i * 7919 + call) % 100_000 - 50_000;
          b[i] = i % 23 == 5 ? null : (i * 104_729) % 99_991;
          want.add(gcd(a[i], b[i]));
        }
        try (VectorSchemaRoot in = ints(args, a, b)) {
          ArrowUdfClient.Output out = rw.call("gcd.gcd", in);
          assertTrue(out.ok(), () -> out.status().toString());
          assertEquals(want, out.rows().stream().map(r -> r.get(0)).toList());
          assertEquals(List.of(rows), out.batchRows());
        }
      }
    }
  }

  @Test
  void aGuestErrorFailsTheCallWithTheGuestsMessage() throws Exception {
    try (ArrowUdfClient rw = new ArrowUdfClient(server);
        VectorSchemaRoot in =
            ints(
                ArrowUdfClient.argSchema(List.of(I32, I32)),
                new Integer[] {12, Integer.MIN_VALUE},
                new Integer[] {8, 0})) {
      ArrowUdfClient.Output out = rw.call("gcd.gcd", in);
      // An execution error of the guest (WF_ERR_EXECUTION) is INTERNAL "guest error".
      assertEquals(Status.Code.INTERNAL, out.status().getCode(), out.status().toString());
      String message = out.status().getDescription();
      assertTrue(message.startsWith("guest error in gcd/gcd (aot) at batch 0: "), message);
      assertTrue(message.contains("does not fit"), message);
      // The next call on the same link works: every call is its own session.
      try (VectorSchemaRoot ok =
          ints(
              ArrowUdfClient.argSchema(List.of(I32, I32)), new Integer[] {12}, new Integer[] {8})) {
        assertEquals(List.of(List.of(4)), rw.call("gcd.gcd", ok).rows());
      }
    }
  }

  @Test
  void risingWaveCallsTheTableFunctionSeries() throws Exception {
    try (ArrowUdfClient rw = new ArrowUdfClient(server)) {
      // CREATE FUNCTION series(int) RETURNS TABLE (series int) AS 'series.series' ...
      rw.createFunction("series.series", List.of(I32), I32, true);
      Integer[] n = {3, null, 0, -2, 1, 2500, 2};
      List<List<Object>> want = new ArrayList<>();
      for (int row = 0; row < n.length; row++) {
        for (int v = 0; n[row] != null && v < n[row]; v++) {
          want.add(List.of(row, v));
        }
      }
      try (VectorSchemaRoot in = ints(ArrowUdfClient.argSchema(List.of(I32)), n)) {
        ArrowUdfClient.Output out = rw.call("series.series", in);
        assertTrue(out.ok(), () -> out.status().toString());
        assertEquals(want, out.rows());
        assertTrue(out.batchRows().size() > 1, "2506 rows come in several batches");
        assertTrue(out.batchRows().stream().allMatch(r -> r <= 1024), out.batchRows().toString());
      }
    }
  }

  @Test
  void databendCallsGcdOverSeveralSlicesOfABlock() throws Exception {
    DatabendUdfClient db = new DatabendUdfClient(server, 100, "default", "q-gcd");
    var nullableInt = new DatabendUdfClient.Type(I32, true);
    db.checkSchema("gcd.gcd", List.of(nullableInt, nullableInt), nullableInt);
    int rows = 1000;
    Integer[] a = new Integer[rows];
    Integer[] b = new Integer[rows];
    List<Object> want = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      a[i] = i % 9 == 0 ? null : i * 6;
      b[i] = i % 11 == 0 ? null : i * 4 + 2;
      want.add(gcd(a[i], b[i]));
    }
    Schema schema =
        new Schema(List.of(DatabendUdfClient.field(I32, true), DatabendUdfClient.field(I32, true)));
    try (VectorSchemaRoot block = ints(schema, a, b)) {
      assertEquals(want, db.doExchange("gcd.gcd", block).stream().map(r -> r.get(0)).toList());
    }
  }
}
