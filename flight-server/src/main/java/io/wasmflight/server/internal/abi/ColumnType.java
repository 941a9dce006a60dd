package io.wasmflight.server.internal.abi;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The column types ABI 1.0 passes across the guest boundary (abi-v1.md section 5.2), with their
 * C Data format string and buffer layout.
 */
public enum ColumnType {
  INT8("c", Layout.FIXED, 1, new ArrowType.Int(8, true)),
  UINT8("C", Layout.FIXED, 1, new ArrowType.Int(8, false)),
  INT16("s", Layout.FIXED, 2, new ArrowType.Int(16, true)),
  UINT16("S", Layout.FIXED, 2, new ArrowType.Int(16, false)),
  INT32("i", Layout.FIXED, 4, new ArrowType.Int(32, true)),
  UINT32("I", Layout.FIXED, 4, new ArrowType.Int(32, false)),
  INT64("l", Layout.FIXED, 8, new ArrowType.Int(64, true)),
  UINT64("L", Layout.FIXED, 8, new ArrowType.Int(64, false)),
  FLOAT32("f", Layout.FIXED, 4, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
  FLOAT64("g", Layout.FIXED, 8, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
  BOOL("b", Layout.BITMAP, 0, ArrowType.Bool.INSTANCE),
  UTF8("u", Layout.VARIABLE, 0, ArrowType.Utf8.INSTANCE),
  BINARY("z", Layout.VARIABLE, 0, ArrowType.Binary.INSTANCE);

  /** How the values are stored after the validity bitmap. */
  public enum Layout {
    /** One buffer of {@code byteWidth}-byte values. */
    FIXED,
    /** One bitmap of values. */
    BITMAP,
    /** An int32 offsets buffer ({@code length + 1} entries) and a data buffer. */
    VARIABLE
  }

  private final String format;
  private final Layout layout;
  private final int byteWidth;
  private final ArrowType arrowType;

  ColumnType(String format, Layout layout, int byteWidth, ArrowType arrowType) {
    this.format = format;
    this.layout = layout;
    this.byteWidth = byteWidth;
    this.arrowType = arrowType;
  }

  public String format() {
    return format;
  }

  public Layout layout() {
    return layout;
  }

  /** Bytes per value for {@link Layout#FIXED}; 0 otherwise. */
  public int byteWidth() {
    return byteWidth;
  }

  public ArrowType arrowType() {
    return arrowType;
  }

  /** Number of C Data buffers, validity included. */
  public int bufferCount() {
    return layout == Layout.VARIABLE ? 3 : 2;
  }

  /** The type for a C Data format string, or null when ABI 1.0 does not carry it. */
  public static ColumnType ofFormat(String format) {
    for (ColumnType t : values()) {
      if (t.format.equals(format)) {
        return t;
      }
    }
    return null;
  }

  /** The type for an Arrow Java type, or null when ABI 1.0 does not carry it. */
  public static ColumnType ofArrowType(ArrowType type) {
    for (ColumnType t : values()) {
      if (t.arrowType.equals(type)) {
        return t;
      }
    }
    return null;
  }
}
