package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.NativeFunction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host data path alone: a WAT guest that hands the input structs back, so every type of ABI 1.0
 * goes host → guest memory → host and must come back unchanged, on both engines.
 */
class EchoExchangeTest {
  static Schema allTypes() {
    List<Field> f = new ArrayList<>();
    f.add(Field.nullable("i8", new ArrowType.Int(8, true)));
    f.add(Field.nullable("u8", new ArrowType.Int(8, false)));
    f.add(Field.nullable("i16", new ArrowType.Int(16, true)));
    f.add(Field.nullable("u16", new ArrowType.Int(16, false)));
    f.add(Field.nullable("i32", new ArrowType.Int(32, true)));
    f.add(Field.nullable("u32", new ArrowType.Int(32, false)));
    f.add(new Field("i64", new FieldType(false, new ArrowType.Int(64, true), null), null));
    f.add(Field.nullable("u64", new ArrowType.Int(64, false)));
    f.add(Field.nullable("f32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
    f.add(Field.nullable("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)));
    f.add(Field.nullable("flag", ArrowType.Bool.INSTANCE));
    f.add(Field.nullable("text", ArrowType.Utf8.INSTANCE));
    f.add(Field.nullable("blob", ArrowType.Binary.INSTANCE));
    return new Schema(f);
  }

  /** Fills every column with row-dependent values; every 7th row is null (except i64). */
  static void fill(VectorSchemaRoot root, int rows, int seed) {
    for (FieldVector v : root.getFieldVectors()) {
      v.allocateNew();
    }
    for (int r = 0; r < rows; r++) {
      long x = (long) seed * 1_000_003L + r;
      boolean isNull = r % 7 == 3;
      for (FieldVector v : root.getFieldVectors()) {
        if (isNull && !v.getName().equals("i64")) {
          v.setNull(r); // setNull grows like setSafe
          continue;
        }
        switch (v) {
          case TinyIntVector t -> t.setSafe(r, (byte) x);
          case UInt1Vector t -> t.setSafe(r, (byte) (x * 3));
          case SmallIntVector t -> t.setSafe(r, (short) x);
          case UInt2Vector t -> t.setSafe(r, (char) (x * 5));
          case IntVector t -> t.setSafe(r, (int) (x * 7));
          case UInt4Vector t -> t.setSafe(r, (int) (x * 11));
          case BigIntVector t -> t.setSafe(r, x * 1_000_000_007L);
          case UInt8Vector t -> t.setSafe(r, -x);
          case Float4Vector t -> t.setSafe(r, x / 3.0f);
          case Float8Vector t -> t.setSafe(r, x / 7.0);
          case BitVector t -> t.setSafe(r, (int) (x % 3 == 0 ? 1 : 0));
          case VarCharVector t ->
              t.setSafe(r, ("row " + x + " é✓".repeat(r % 4)).getBytes(StandardCharsets.UTF_8));
          case VarBinaryVector t -> t.setSafe(r, new byte[] {(byte) x, 0, (byte) (x >> 8)});
          default -> throw new IllegalStateException(v.toString());
        }
      }
    }
    root.setRowCount(rows);
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter", "native"})
  void everyTypeComesBackUnchanged(String engine) throws Exception {
    try (TestServer s = TestServer.start();
        VectorSchemaRoot in = VectorSchemaRoot.create(allTypes(), s.allocator);
        VectorSchemaRoot expected = VectorSchemaRoot.create(allTypes(), s.allocator)) {
      s.register("echo", Guests.wat("good/echo"));
      s.registerNative("builtin", "echo", NativeFunction.ECHO);
      FlightDescriptor descriptor =
          engine.equals("native")
              ? FlightDescriptor.path("builtin", "echo")
              : FlightDescriptor.command(
                  ("{\"module\":\"echo\",\"function\":\"echo\"," + "\"engine\":\"" + engine + "\"}")
                      .getBytes(StandardCharsets.UTF_8));
      int[] sizes = {5, 0, 1000, 1, 64, 4097};
      List<Integer> mismatches = new ArrayList<>();
      int[] seen = {0};
      Exchange.Outcome o =
          Exchange.run(
              s.client(),
              descriptor,
              in,
              sizes.length,
              i -> fill(in, sizes[i], i),
              out -> {
                int i = seen[0]++;
                fill(expected, sizes[i], i);
                if (!expected.equals(out)) {
                  mismatches.add(i);
                }
              });
      assertEquals(allTypes(), o.schema());
      assertEquals(List.of(5, 0, 1000, 1, 64, 4097), o.batchRows());
      assertTrue(mismatches.isEmpty(), "batches that differ: " + mismatches);
    }
  }
}
