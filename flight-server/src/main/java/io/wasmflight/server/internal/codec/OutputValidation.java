package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.bit;
import static io.wasmflight.server.internal.codec.OutputBounds.countOnes;
import static io.wasmflight.server.internal.codec.OutputBounds.requireBuffer;
import static io.wasmflight.server.internal.codec.OutputBounds.requireRange;
import static io.wasmflight.server.internal.codec.OutputBounds.violation;
import static io.wasmflight.server.internal.codec.OutputIndices.checkIndices;
import static io.wasmflight.server.internal.codec.OutputIndices.checkListViews;
import static io.wasmflight.server.internal.codec.OutputIndices.checkTypeIds;
import static io.wasmflight.server.internal.codec.OutputIndices.readIndex;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import io.wasmflight.server.internal.guest.FlatMemory;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Validates the guest's output ArrowArray tree against guest memory and the per-batch output limit:
 * lengths, offsets, null counts, buffers, views, unions, run ends, dictionaries, depth and pointer
 * cycles. Reads guest memory only and allocates nothing from a size the guest claims; records in
 * each node what the copy needs.
 */
final class OutputValidation {
  private final long maxOutputBytes;
  private final int[] ancestors = new int[AbiV1.MAX_DEPTH + 2];

  OutputValidation(long maxOutputBytes) {
    this.maxOutputBytes = maxOutputBytes;
  }

  /**
   * Validates the {@code n} columns of the batch at {@code arrayPtr} for {@code rows} rows from the
   * batch offset, within the output limit.
   */
  void batch(
      FlatMemory m,
      OutputNode top,
      int arrayPtr,
      int arrayChildren,
      long offset,
      long rows,
      int n) {
    ancestors[0] = arrayPtr;
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += validate(m, top.children[i], m.readInt(arrayChildren + 4 * i), offset, rows, 1);
      checkLimit(total);
    }
  }

  private void checkLimit(long total) {
    if (total > maxOutputBytes) {
      throw new WasmFlightException.LimitExceeded(
          "output batch needs more than " + maxOutputBytes + " bytes (the per-batch output limit)");
    }
  }

  /**
   * Validates the array at {@code a} for the slots {@code [s, s + count)} of its logical range (its
   * own offset not included), or for its whole range when {@code count < 0}. Records what the copy
   * needs in the node; returns the bytes the copy will take.
   */
  private long validate(FlatMemory m, OutputNode node, int a, long s, long count, int depth) {
    String col = node.path;
    requireRange(m, a, AbiV1.Array.SIZE, col + " ArrowArray");
    for (int d = 0; d < depth; d++) {
      if (ancestors[d] == a) {
        throw violation(col + ": its ArrowArray points back to an ancestor (a pointer cycle)");
      }
    }
    ancestors[depth] = a;
    CDataFormat f = node.format;
    long length = m.readLong(a + AbiV1.Array.LENGTH);
    long offset = m.readLong(a + AbiV1.Array.OFFSET);
    long nullCount = m.readLong(a + AbiV1.Array.NULL_COUNT);
    long nBuffers = m.readLong(a + AbiV1.Array.N_BUFFERS);
    long nChildren = m.readLong(a + AbiV1.Array.N_CHILDREN);
    if (length < 0 || offset < 0 || length > Integer.MAX_VALUE || offset > Integer.MAX_VALUE) {
      throw violation(col + ": length " + length + " / offset " + offset + " out of range");
    }
    if (count < 0) {
      count = length;
    }
    if (s > length || count > length - s) { // no overflow: s and count may be huge claims
      if (s > Integer.MAX_VALUE || count > Integer.MAX_VALUE) {
        throw violation(
            col
                + ": length "
                + length
                + " is shorter than the batch (slots "
                + s
                + " + "
                + count
                + ")");
      }
      throw violation(
          col
              + ": length "
              + length
              + " is shorter than the batch ("
              + (s + count)
              + " slots"
              + (s > 0 ? ", from slot " + s + " on" : "")
              + ")");
    }
    boolean whole = s == 0 && count == length;
    int expectBuffers = f.bufferCount();
    if (f.kind() == Kind.VIEW
        ? nBuffers < expectBuffers || nBuffers > AbiV1.MAX_CHILDREN + 3
        : nBuffers != expectBuffers) {
      throw violation(
          col
              + ": n_buffers is "
              + nBuffers
              + ", format '"
              + f
              + "' needs "
              + (f.kind() == Kind.VIEW ? "at least " : "")
              + expectBuffers);
    }
    if (nChildren != node.children.length) {
      throw violation(
          col
              + ": n_children "
              + (node.children.length == 0
                  ? "must be 0"
                  : "is " + nChildren + ", the schema has " + node.children.length));
    }
    checkNullCount(node, nullCount, length);
    int buffers = m.readInt(a + AbiV1.Array.BUFFERS);
    if (nBuffers > 0) {
      requireRange(m, buffers, 4L * nBuffers, col + " buffers array");
    }
    int childrenPtr = m.readInt(a + AbiV1.Array.CHILDREN);
    if (nChildren > 0) {
      requireRange(m, childrenPtr, 4L * nChildren, col + " children array");
    }
    int dict = m.readInt(a + AbiV1.Array.DICTIONARY);
    if ((dict != 0) != (node.dictionary != null)) {
      throw violation(
          col
              + (dict != 0
                  ? ": the array has a dictionary the schema does not declare"
                  : ": the schema declares a dictionary but the array has none"));
    }
    node.array = a;
    long p = offset + s; // physical first slot
    long end = p + count;
    node.start = p;
    node.length = count;
    node.nulls = 0;
    for (int b = 0; b < node.bufs.length; b++) {
      node.ptr[b] = m.readInt(buffers + 4 * b);
    }
    long bytes = 0;
    if (f.hasValidity()) {
      int validity = node.ptr[0];
      if (validity == 0) {
        if (nullCount > 0) {
          throw violation(col + ": null_count " + nullCount + " without a validity bitmap");
        }
      } else {
        requireRange(m, validity, (end + 7) >>> 3, col + " validity bitmap");
        node.nulls = count - countOnes(m.array(), validity, p, count);
        if (whole && nullCount >= 0 && nullCount != node.nulls) {
          throw violation(
              col
                  + ": null_count is "
                  + nullCount
                  + " but the validity bitmap "
                  + "has "
                  + node.nulls
                  + " nulls");
        }
      }
      bytes += (count + 7) >>> 3;
    }
    switch (f.kind()) {
      case NULL -> node.nulls = count;
      case BOOL -> {
        requireBuffer(m, node.ptr[1], (end + 7) >>> 3, col + " values bitmap");
        bytes += (count + 7) >>> 3;
      }
      case FIXED -> {
        requireBuffer(m, node.ptr[1], end * f.width(), col + " values");
        bytes += count * f.width();
        if (node.dictionary != null) {
          bytes += validate(m, node.dictionary, dict, 0, -1, depth + 1);
          checkIndices(m, node, node.dictionary.length);
        }
      }
      case BINARY -> {
        readOffsets(m, node, p, count);
        requireBuffer(m, node.ptr[2], node.last, col + " data");
        bytes += (count + 1) * f.width() + (node.last - node.first);
      }
      case VIEW -> bytes += validateViews(m, node, buffers, (int) nBuffers, p, count);
      case LIST -> {
        readOffsets(m, node, p, count);
        bytes += (count + 1) * f.width();
        bytes +=
            validate(
                m,
                node.children[0],
                m.readInt(childrenPtr),
                node.first,
                node.last - node.first,
                depth + 1);
        if (f.type() instanceof ArrowType.Map) {
          OutputNode key = node.children[0].children[0];
          if (key.nulls > 0) {
            throw violation(key.path + ": a map key is null");
          }
        }
      }
      case FIXED_LIST ->
          bytes +=
              validate(
                  m,
                  node.children[0],
                  m.readInt(childrenPtr),
                  p * f.width(),
                  count * f.width(),
                  depth + 1);
      case LIST_VIEW -> {
        bytes += validate(m, node.children[0], m.readInt(childrenPtr), 0, -1, depth + 1);
        bytes += 2 * count * f.width();
        checkListViews(m, node, p, count, node.children[0].length);
      }
      case STRUCT, SPARSE_UNION -> {
        if (f.kind() == Kind.SPARSE_UNION) {
          requireBuffer(m, node.ptr[0], end, col + " type ids");
          bytes += count;
        }
        for (int i = 0; i < node.children.length; i++) {
          bytes +=
              validate(m, node.children[i], m.readInt(childrenPtr + 4 * i), p, count, depth + 1);
          checkLimit(bytes);
        }
        if (f.kind() == Kind.SPARSE_UNION) {
          checkTypeIds(m, node, p, count, null);
        }
      }
      case DENSE_UNION -> {
        requireBuffer(m, node.ptr[0], end, col + " type ids");
        requireBuffer(m, node.ptr[1], end * 4, col + " offsets");
        bytes += count * 5;
        long[] lengths = new long[node.children.length];
        for (int i = 0; i < node.children.length; i++) {
          bytes += validate(m, node.children[i], m.readInt(childrenPtr + 4 * i), 0, -1, depth + 1);
          lengths[i] = node.children[i].length;
          checkLimit(bytes);
        }
        checkTypeIds(m, node, p, count, lengths);
      }
      case RUN_END ->
          bytes += validateRunEnds(m, node, childrenPtr, p, count, offset + length, depth);
    }
    return bytes;
  }

  private static void checkNullCount(OutputNode node, long nullCount, long length) {
    String col = node.path;
    switch (node.format.kind()) {
      case NULL -> {
        if (nullCount != -1 && nullCount != length) {
          throw violation(
              col
                  + ": null_count is "
                  + nullCount
                  + "; a null array has "
                  + "null_count = length ("
                  + length
                  + ") or -1");
        }
      }
      case SPARSE_UNION, DENSE_UNION, RUN_END -> {
        if (nullCount != 0 && nullCount != -1) {
          throw violation(
              col
                  + ": null_count is "
                  + nullCount
                  + "; format '"
                  + node.format
                  + "' has no validity bitmap, so it must be 0 (or -1)");
        }
      }
      default -> {
        if (nullCount < -1 || nullCount > length) {
          throw violation(col + ": null_count " + nullCount + " out of range");
        }
      }
    }
  }

  /** Reads and checks the offsets of slots [p, p + count]: non-negative, non-decreasing. */
  private static void readOffsets(FlatMemory m, OutputNode node, long p, long count) {
    int w = node.format.width();
    String col = node.path;
    requireBuffer(m, node.ptr[1], (p + count + 1) * w, col + " offsets");
    int base = node.ptr[1] + (int) (p * w);
    long prev = w == 4 ? m.readInt(base) : m.readLong(base);
    if (prev < 0) {
      throw violation(col + ": first offset " + prev + " is negative");
    }
    node.first = prev;
    if (w == 4) {
      byte[] mem = m.array();
      for (int r = 1; r <= count; r++) {
        int next = (int) INT.get(mem, base + 4 * r);
        if (next < prev) {
          throw violation(
              col + ": offsets decrease at slot " + (p + r) + " (" + prev + " -> " + next + ")");
        }
        prev = next;
      }
    } else {
      for (int r = 1; r <= count; r++) {
        long next = m.readLong(base + 8 * r);
        if (next < prev) {
          throw violation(
              col + ": offsets decrease at slot " + (p + r) + " (" + prev + " -> " + next + ")");
        }
        prev = next;
      }
    }
    node.last = prev;
  }

  private static final java.lang.invoke.VarHandle INT =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
          int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  private long validateViews(
      FlatMemory m, OutputNode node, int buffers, int nBuffers, long p, long count) {
    String col = node.path;
    int nVariadic = nBuffers - 3;
    requireBuffer(m, node.ptr[1], (p + count) * CDataFormat.VIEW_SIZE, col + " views");
    int sizes = m.readInt(buffers + 4 * (nBuffers - 1));
    requireBuffer(m, sizes, 8L * nVariadic, col + " variadic buffer sizes");
    if (node.variadicPtr.length < nVariadic) {
      node.variadicPtr = new int[nVariadic];
      node.variadicSize = new long[nVariadic];
    }
    node.nVariadic = nVariadic;
    long bytes = count * CDataFormat.VIEW_SIZE;
    for (int i = 0; i < nVariadic; i++) {
      int ptr = m.readInt(buffers + 4 * (2 + i));
      long size = m.readLong(sizes + 8 * i);
      if (size < 0 || size > Integer.MAX_VALUE) {
        throw violation(col + ": variadic buffer " + i + " has size " + size);
      }
      requireBuffer(m, ptr, size, col + " variadic buffer " + i);
      node.variadicPtr[i] = ptr;
      node.variadicSize[i] = size;
      bytes += size;
      checkLimit(bytes);
    }
    byte[] mem = m.array();
    int views = node.ptr[1];
    int validity = node.ptr[0];
    for (long r = 0; r < count; r++) {
      long slot = p + r;
      if (validity != 0 && !bit(mem, validity, slot)) {
        continue;
      }
      int at = views + (int) (slot * CDataFormat.VIEW_SIZE);
      int len = m.readInt(at);
      if (len < 0) {
        throw violation(col + ": the view at slot " + slot + " has length " + len);
      }
      if (len <= CDataFormat.VIEW_INLINE_MAX) {
        continue;
      }
      int index = m.readInt(at + 8);
      int off = m.readInt(at + 12);
      if (index < 0
          || index >= nVariadic
          || off < 0
          || (long) off + len > node.variadicSize[index]) {
        throw violation(
            col
                + ": the view at slot "
                + slot
                + " (buffer "
                + index
                + ", offset "
                + off
                + ", length "
                + len
                + ") is outside its variadic buffer"
                + (index >= 0 && index < nVariadic
                    ? " (" + node.variadicSize[index] + " bytes)"
                    : " (there are " + nVariadic + ")"));
      }
    }
    return bytes;
  }

  /**
   * Run-end encoded: run ends strictly increasing and positive, the last one covering the array;
   * the copy takes the runs that overlap the slots used, with the run ends rebased.
   */
  private long validateRunEnds(
      FlatMemory m,
      OutputNode node,
      int childrenPtr,
      long p,
      long count,
      long arrayEnd,
      int depth) {
    OutputNode runEnds = node.children[0];
    OutputNode values = node.children[1];
    long bytes = validate(m, runEnds, m.readInt(childrenPtr), 0, -1, depth + 1);
    long runs = runEnds.length;
    if (runEnds.nulls > 0) {
      throw violation(runEnds.path + ": run ends must not be null");
    }
    int w = runEnds.format.width();
    long prev = 0;
    long j0 = -1;
    long j1 = -1;
    for (long j = 0; j < runs; j++) {
      long e = readIndex(m, runEnds.ptr[1], runEnds.start + j, w);
      if (e <= prev) {
        throw violation(
            runEnds.path
                + ": run end "
                + e
                + " at run "
                + j
                + " is not greater "
                + "than the previous one ("
                + prev
                + ")");
      }
      if (j0 < 0 && e > p) {
        j0 = j;
      }
      if (j1 < 0 && e >= p + count) {
        j1 = j;
      }
      prev = e;
    }
    if (arrayEnd > 0 && prev < arrayEnd) {
      throw violation(
          runEnds.path
              + ": the last run end ("
              + prev
              + ") is before the end of "
              + "the array ("
              + arrayEnd
              + ")");
    }
    long taken = count == 0 ? 0 : j1 - j0 + 1;
    long first = count == 0 ? 0 : j0;
    bytes += validate(m, values, m.readInt(childrenPtr + 4), 0, -1, depth + 1);
    if (values.length != runs) {
      throw violation(
          values.path
              + ": "
              + values.length
              + " values for "
              + runs
              + " runs "
              + "(they must be equal)");
    }
    // Take only the runs in use: validate values again for exactly that range.
    bytes += validate(m, values, m.readInt(childrenPtr + 4), first, taken, depth + 1);
    runEnds.start += first;
    runEnds.length = taken;
    node.runBase = p;
    return bytes;
  }
}
