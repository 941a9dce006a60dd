package io.wasmflight.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.NativeFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The native kernels agree with the verifiers, and the verifiers catch wrong output. */
class WorkloadsTest {
  private final BufferAllocator allocator = new RootAllocator();

  @AfterEach
  void close() {
    allocator.close();
  }

  @Test
  void nativeMapsPassTheirVerifierAndReuseTheirOutput() {
    for (MapWorkload w : Workload.maps()) {
      NativeFunction f = w.nativeFunction();
      try (VectorSchemaRoot a = w.generate(allocator, 3000, 1);
          VectorSchemaRoot b = w.generate(allocator, 700, 2);
          VectorSchemaRoot out =
              VectorSchemaRoot.create(f.outputSchema(a.getSchema()), allocator)) {
        for (VectorSchemaRoot in : new VectorSchemaRoot[] {a, b, a}) {
          f.apply(in, out);
          assertEquals(in.getRowCount(), out.getRowCount(), w.name());
          assertNull(w.verify(in, out), w.name());
        }
        assertTrue(
            a.getVector(a.getFieldVectors().size() - 1).getNullCount() > 0,
            w.name() + " input has nulls");
      }
    }
  }

  @Test
  void mapVerifiersCatchAWrongValueAndAWrongNull() {
    for (MapWorkload w : Workload.maps()) {
      NativeFunction f = w.nativeFunction();
      try (VectorSchemaRoot in = w.generate(allocator, 100, 3);
          VectorSchemaRoot out =
              VectorSchemaRoot.create(f.outputSchema(in.getSchema()), allocator)) {
        f.apply(in, out);
        FieldVector last = out.getVector(out.getFieldVectors().size() - 1);
        int row = 0;
        while (last.isNull(row)) {
          row++;
        }
        last.setNull(row);
        assertNotNull(w.verify(in, out), w.name());
      }
    }
  }

  @Test
  void generationIsDeterministicAndEchoVerifies() {
    for (Workload w : Workload.ALL) {
      try (VectorSchemaRoot a = w.generate(allocator, 500, 7);
          VectorSchemaRoot b = w.generate(allocator, 500, 7);
          VectorSchemaRoot c = w.generate(allocator, 500, 8)) {
        assertNull(BenchClient.verifyEcho(a, b), w.name());
        assertNotNull(BenchClient.verifyEcho(a, c), w.name());
      }
    }
  }

  @Test
  void checksumSeesValuesAndNulls() {
    Workload w = Workload.byName("add_one");
    try (VectorSchemaRoot a = w.generate(allocator, 64, 5);
        VectorSchemaRoot b = w.generate(allocator, 64, 5)) {
      assertEquals(Checksum.of(a), Checksum.of(b));
      org.apache.arrow.vector.BigIntVector x =
          (org.apache.arrow.vector.BigIntVector) b.getVector(0);
      int row = x.isNull(0) ? 1 : 0;
      x.set(row, x.get(row) + 1);
      assertNotEquals(Checksum.of(a), Checksum.of(b));
    }
  }

  @Test
  void statsMedianAndPercentiles() {
    assertEquals(2.5, Stats.median(new double[] {4, 1, 3, 2}));
    assertEquals(3, Stats.median(new double[] {5, 1, 3}));
    assertEquals(1, Stats.percentile(new double[] {1, 2, 3}, 0));
    assertEquals(3, Stats.percentile(new double[] {1, 2, 3}, 100));
    assertEquals(1.98, Stats.percentile(new double[] {1, 2}, 98), 1e-9);
  }
}
