package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasmflight.server.NativeKernel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Native functions of the other kinds ({@link NativeKernel}): a filter that emits the rows it
 * keeps, a table function that emits several batches per input, an aggregate that emits from
 * finish; zero-row batches are not sent, an empty stream still gets a schema, a kernel's bad
 * selection is an error, and every kernel is closed (the allocator leak check of {@link
 * TestServer}).
 */
class NativeKernelTest {
  static final Schema INPUT =
      new Schema(
          List.of(
              Field.nullable("x", new ArrowType.Int(64, true)),
              Field.nullable("s", ArrowType.Utf8.INSTANCE)));
  static final Schema SUM =
      new Schema(
          List.of(
              Field.notNullable("sum", new ArrowType.Int(64, true)),
              Field.notNullable("rows", new ArrowType.Int(32, true))));

  /** Row r of batch b: x = 10 b + r, null every 4th row; s = "b.r". */
  static void fill(VectorSchemaRoot root, int b, int rows) {
    BigIntVector x = (BigIntVector) root.getVector(0);
    VarCharVector s = (VarCharVector) root.getVector(1);
    x.allocateNew(rows);
    s.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      if (r % 4 == 3) {
        x.setNull(r);
      } else {
        x.set(r, 10L * b + r);
      }
      s.setSafe(r, (b + "." + r).getBytes(StandardCharsets.UTF_8));
    }
    x.setValueCount(rows);
    s.setValueCount(rows);
    root.setRowCount(rows);
  }

  /** Keeps the rows with an odd x (not null). */
  static NativeKernel odds() {
    return new NativeKernel() {
      private int[] rows = new int[0];

      @Override
      public void apply(VectorSchemaRoot in, Output out) {
        BigIntVector x = (BigIntVector) in.getVector(0);
        if (rows.length < in.getRowCount()) {
          rows = new int[in.getRowCount()];
        }
        int n = 0;
        for (int r = 0; r < in.getRowCount(); r++) {
          if (!x.isNull(r) && x.get(r) % 2 == 1) {
            rows[n++] = r;
          }
        }
        out.emitRows(in, rows, n);
      }

      @Override
      public Schema outputSchema(Schema input) {
        return input;
      }
    };
  }

  /** Sum of x and the row count over the stream, one row from finish; counts its closes. */
  static NativeKernel.Factory sum(AtomicInteger closed) {
    return allocator ->
        new NativeKernel() {
          private long sum;
          private int rows;

          @Override
          public void apply(VectorSchemaRoot in, Output out) {
            BigIntVector x = (BigIntVector) in.getVector(0);
            for (int r = 0; r < in.getRowCount(); r++) {
              sum += x.isNull(r) ? 0 : x.get(r);
            }
            rows += in.getRowCount();
          }

          @Override
          public void finish(Output out) {
            try (VectorSchemaRoot root = VectorSchemaRoot.create(SUM, allocator)) {
              ((BigIntVector) root.getVector(0)).setSafe(0, sum);
              ((IntVector) root.getVector(1)).setSafe(0, rows);
              root.setRowCount(1);
              out.emit(root);
            }
          }

          @Override
          public Schema outputSchema(Schema input) {
            return SUM;
          }

          @Override
          public void close() {
            closed.incrementAndGet();
          }
        };
  }

  /**
   * Table function: every input row twice, in two output batches per input batch (the first reused
   * for the second), then an empty batch, which is not sent.
   */
  static NativeKernel twice(BufferAllocator allocator) {
    return new NativeKernel() {
      private final VectorSchemaRoot out = VectorSchemaRoot.create(INPUT, allocator);

      @Override
      public void apply(VectorSchemaRoot in, Output output) {
        for (int copy = 0; copy < 2; copy++) {
          copyInto(in, out);
          output.emit(out);
        }
        out.getFieldVectors().forEach(v -> v.setValueCount(0));
        out.setRowCount(0);
        output.emit(out);
      }

      @Override
      public Schema outputSchema(Schema input) {
        return INPUT;
      }

      @Override
      public void close() {
        out.close();
      }
    };
  }

  static void copyInto(VectorSchemaRoot in, VectorSchemaRoot out) {
    for (int c = 0; c < in.getFieldVectors().size(); c++) {
      out.getVector(c).clear();
      for (int r = 0; r < in.getRowCount(); r++) {
        out.getVector(c).copyFromSafe(r, r, in.getVector(c));
      }
      out.getVector(c).setValueCount(in.getRowCount());
    }
    out.setRowCount(in.getRowCount());
  }

  static Exchange.Outcome run(TestServer s, String function, int[] sizes, List<String> outputRows)
      throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(INPUT, s.allocator)) {
      return Exchange.run(
          s.client(),
          FlightDescriptor.path("kinds", function),
          in,
          sizes.length,
          b -> fill(in, b, sizes[b]),
          out -> {
            for (int r = 0; r < out.getRowCount(); r++) {
              StringBuilder row = new StringBuilder();
              for (int c = 0; c < out.getFieldVectors().size(); c++) {
                row.append(c == 0 ? "" : " ").append(out.getVector(c).getObject(r));
              }
              outputRows.add(row.toString());
            }
          });
    }
  }

  @Test
  void aFilterEmitsTheRowsItKeepsAndNothingForABatchThatKeepsNone() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.registerNative("kinds", "odds", allocator -> odds());
      List<String> rows = new ArrayList<>();
      // Batch 1 is one even row, batch 2 has no row: neither emits.
      Exchange.Outcome o = run(s, "odds", new int[] {6, 1, 0, 8}, rows);
      assertEquals(INPUT, o.schema());
      assertEquals(List.of(2, 2), o.batchRows());
      assertEquals(List.of("1 0.1", "5 0.5", "31 3.1", "35 3.5"), rows);
    }
  }

  @Test
  void aTableFunctionEmitsSeveralBatchesPerInputButNoEmptyOnes() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.registerNative("kinds", "twice", NativeKernelTest::twice);
      List<String> rows = new ArrayList<>();
      Exchange.Outcome o = run(s, "twice", new int[] {2, 3}, rows);
      assertEquals(List.of(2, 2, 3, 3), o.batchRows());
      assertEquals(
          List.of(
              "0 0.0", "1 0.1", "0 0.0", "1 0.1", "10 1.0", "11 1.1", "12 1.2", "10 1.0", "11 1.1",
              "12 1.2"),
          rows);
    }
  }

  @Test
  void anAggregateEmitsFromFinishAlsoWithoutInputBatches() throws Exception {
    AtomicInteger closed = new AtomicInteger();
    try (TestServer s = TestServer.start()) {
      s.registerNative("kinds", "sum", sum(closed));
      List<String> rows = new ArrayList<>();
      Exchange.Outcome o = run(s, "sum", new int[] {4, 5, 0}, rows);
      assertEquals(SUM, o.schema());
      // x: 0 1 2 null | 10 11 12 null 14
      assertEquals(List.of("50 9"), rows);
      rows.clear();
      o = run(s, "sum", new int[0], rows);
      assertEquals(List.of(1), o.batchRows());
      assertEquals(List.of("0 0"), rows);
    }
    assertEquals(2, closed.get(), "one kernel per session, each closed");
  }

  @Test
  void aStreamWithoutOutputStillGetsTheKernelsSchema() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.registerNative("kinds", "odds", allocator -> odds());
      Exchange.Outcome o = run(s, "odds", new int[] {0, 0}, new ArrayList<>());
      assertEquals(INPUT, o.schema());
      assertEquals(List.of(), o.batchRows());
    }
  }

  @Test
  void aBadSelectionFailsTheSessionAndTheServerKeepsServing() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.registerNative(
          "kinds",
          "backwards",
          allocator ->
              new NativeKernel() {
                @Override
                public void apply(VectorSchemaRoot in, Output out) {
                  out.emitRows(in, new int[] {1, 0}, 2);
                }

                @Override
                public Schema outputSchema(Schema input) {
                  return input;
                }
              });
      s.registerNative("kinds", "odds", allocator -> odds());
      assertFlightError(
          FlightStatusCode.INTERNAL,
          () -> run(s, "backwards", new int[] {3}, new ArrayList<>()),
          "internal server error");
      List<String> rows = new ArrayList<>();
      run(s, "odds", new int[] {2}, rows);
      assertEquals(List.of("1 0.1"), rows);
    }
  }
}
