package io.wasmflight.bench;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * FNV-1a (32-bit) over a batch's logical content: per column, per row, one byte (1 = valid, 0 =
 * null) then, when valid, the value's bytes (little-endian fixed width, or the string's bytes).
 * {@code benchmarks/node/kernel.mjs} computes the same over the guest's output structs, so a Node
 * run is checked against the output Chicory produced and Java verified.
 */
public final class Checksum {
  private static final int OFFSET_BASIS = 0x811C9DC5;
  private static final int PRIME = 0x01000193;

  private Checksum() {}

  public static int of(VectorSchemaRoot root) {
    int h = OFFSET_BASIS;
    int rows = root.getRowCount();
    for (FieldVector v : root.getFieldVectors()) {
      for (int i = 0; i < rows; i++) {
        if (v.isNull(i)) {
          h = (h ^ 0) * PRIME;
          continue;
        }
        h = (h ^ 1) * PRIME;
        if (v instanceof BaseFixedWidthVector f) {
          int w = f.getTypeWidth();
          ArrowBuf data = f.getDataBuffer();
          for (int b = 0; b < w; b++) {
            h = (h ^ (data.getByte((long) i * w + b) & 0xFF)) * PRIME;
          }
        } else if (v instanceof BaseVariableWidthVector var) {
          ArrowBuf offsets = var.getOffsetBuffer();
          ArrowBuf data = var.getDataBuffer();
          int start = offsets.getInt(4L * i);
          int end = offsets.getInt(4L * i + 4);
          for (int b = start; b < end; b++) {
            h = (h ^ (data.getByte(b) & 0xFF)) * PRIME;
          }
        } else {
          throw new IllegalArgumentException("no checksum for " + v.getField());
        }
      }
    }
    return h;
  }
}
