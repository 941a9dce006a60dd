package io.wasmflight.cli;

import java.nio.charset.StandardCharsets;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The column types CSV and Parquet files are converted from and to: int32, int64, float32, float64,
 * bool, utf8, binary (flat, nullable). Other Arrow types go through Arrow IPC files.
 */
final class Columns {
  static final ArrowType INT64 = new ArrowType.Int(64, true);
  static final ArrowType INT32 = new ArrowType.Int(32, true);
  static final ArrowType FLOAT64 =
      new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE);
  static final ArrowType FLOAT32 =
      new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE);
  static final ArrowType BOOL = ArrowType.Bool.INSTANCE;
  static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;
  static final ArrowType BINARY = ArrowType.Binary.INSTANCE;

  private Columns() {}

  /** {@code --schema}'s type names. */
  static ArrowType parse(String name) {
    return switch (name) {
      case "int64" -> INT64;
      case "int32" -> INT32;
      case "float64" -> FLOAT64;
      case "float32" -> FLOAT32;
      case "bool" -> BOOL;
      case "utf8" -> UTF8;
      default ->
          throw new CliException(
              ExitCode.USAGE,
              "--schema: unknown type '" + name + "' (int64, int32, float64, float32, bool, utf8)");
    };
  }

  /** Refuses a column this converter cannot carry, naming it and the way out. */
  static void requireSupported(Field field, String format) {
    ArrowType t = field.getType();
    boolean ok =
        t.equals(INT64)
            || t.equals(INT32)
            || t.equals(FLOAT64)
            || t.equals(FLOAT32)
            || t.equals(BOOL)
            || t.equals(UTF8)
            || t.equals(BINARY);
    if (!ok || field.getDictionary() != null) {
      throw new CliException(
          ExitCode.BAD_INPUT,
          "column '"
              + field.getName()
              + "' is of type "
              + t
              + (field.getDictionary() != null ? " (dictionary-encoded)" : "")
              + ", which "
              + format
              + " files are not converted to or from here (int32, int64, float32, float64, bool,"
              + " utf8, binary); use an Arrow IPC file (.arrow) for every Arrow type");
    }
  }

  /** The value at {@code row} as CSV text, or null for a null. */
  static String text(FieldVector v, int row) {
    if (v.isNull(row)) {
      return null;
    }
    if (v instanceof VarCharVector s) {
      return new String(s.get(row), StandardCharsets.UTF_8);
    }
    if (v instanceof VarBinaryVector b) {
      return java.util.HexFormat.of().formatHex(b.get(row));
    }
    if (v instanceof BitVector b) {
      return b.get(row) != 0 ? "true" : "false";
    }
    if (v instanceof BigIntVector l) {
      return Long.toString(l.get(row));
    }
    if (v instanceof IntVector i) {
      return Integer.toString(i.get(row));
    }
    if (v instanceof Float8Vector d) {
      return Double.toString(d.get(row));
    }
    if (v instanceof Float4Vector f) {
      return Float.toString(f.get(row));
    }
    Object o = v.getObject(row);
    return o == null ? null : o.toString();
  }
}
