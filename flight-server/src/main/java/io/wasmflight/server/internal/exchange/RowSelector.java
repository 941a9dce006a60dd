package io.wasmflight.server.internal.exchange;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Copies the selected rows of an input batch into one output root per session (a filter's output).
 * Fixed-width columns copy contiguous runs of rows in bulk; every other type copies row by row
 * through Arrow Java's transfer pairs, which handle every layout.
 */
final class RowSelector implements AutoCloseable {
  private final BufferAllocator allocator;
  private VectorSchemaRoot out;
  private VectorSchemaRoot source;
  private final List<TransferPair> pairs = new ArrayList<>();

  RowSelector(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  /**
   * The rows {@code rows[0..count)} (strictly increasing, validated) of {@code in}; the root is
   * this selector's and is reused by the next call.
   */
  VectorSchemaRoot select(VectorSchemaRoot in, int[] rows, int count) {
    if (out == null || source != in) {
      close();
      out = VectorSchemaRoot.create(in.getSchema(), allocator);
      source = in;
      for (int c = 0; c < in.getFieldVectors().size(); c++) {
        pairs.add(in.getVector(c).makeTransferPair(out.getVector(c)));
      }
    }
    for (int c = 0; c < in.getFieldVectors().size(); c++) {
      FieldVector from = in.getVector(c);
      FieldVector to = out.getVector(c);
      to.clear();
      if (from instanceof BaseFixedWidthVector f && !(from instanceof BitVector)) {
        copyFixedWidth(f, (BaseFixedWidthVector) to, rows, count);
      } else {
        to.setInitialCapacity(count);
        to.allocateNew();
        TransferPair pair = pairs.get(c);
        for (int i = 0; i < count; i++) {
          pair.copyValueSafe(rows[i], i);
        }
        to.setValueCount(count);
      }
    }
    out.setRowCount(count);
    return out;
  }

  private static void copyFixedWidth(
      BaseFixedWidthVector from, BaseFixedWidthVector to, int[] rows, int count) {
    to.allocateNew(count);
    long width = from.getTypeWidth();
    ArrowBuf src = from.getDataBuffer();
    ArrowBuf dst = to.getDataBuffer();
    ArrowBuf validity = to.getValidityBuffer();
    boolean noNulls = from.getNullCount() == 0;
    int i = 0;
    while (i < count) {
      int start = rows[i];
      int run = 1;
      while (i + run < count && rows[i + run] == start + run) {
        run++;
      }
      dst.setBytes(i * width, src, start * width, run * width);
      for (int k = 0; k < run; k++) {
        if (noNulls || from.isSet(start + k) != 0) {
          BitVectorHelper.setBit(validity, i + k);
        }
      }
      i += run;
    }
    to.setValueCount(count);
  }

  @Override
  public void close() {
    pairs.clear();
    if (out != null) {
      out.close();
      out = null;
    }
    source = null;
  }
}
