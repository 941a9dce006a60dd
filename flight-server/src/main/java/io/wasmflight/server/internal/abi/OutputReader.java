package io.wasmflight.server.internal.abi;

import io.wasmflight.server.WasmFlightException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads the guest's output batch (abi-v1.md 5.4) into a {@link VectorSchemaRoot}, validating every
 * pointer, length and offset first (5.5): nothing is allocated from a size the guest claims until
 * the whole batch has been checked against guest memory and the output limit.
 *
 * <p>One reader per session. The root it fills is created on the first batch, reused for every
 * later batch (its buffers grow when needed), and closed with the reader.
 */
public final class OutputReader implements AutoCloseable {
  private static final int MAX_FORMAT_BYTES = 64;
  private static final int MAX_NAME_BYTES = 4096;

  private final GuestInstance guest;
  private final BufferAllocator allocator;
  private final long maxOutputBytes;
  private final Schema declared;
  private VectorSchemaRoot root;

  /** Per column, filled by validation and used by the copy: reused across batches. */
  private Column[] columns = new Column[0];

  private static final class Column {
    ColumnType type;
    long start; // first slot: child offset + parent offset
    int validity; // 0 = all valid
    int values; // values (fixed, bitmap) or offsets (variable)
    int data; // variable: data buffer
    int firstOffset; // variable: offsets[start]
    int lastOffset; // variable: offsets[start + rows]
  }

  /**
   * @param declared the output schema the catalog declares, or null when it depends on input
   */
  public OutputReader(
      GuestInstance guest, BufferAllocator allocator, long maxOutputBytes, Schema declared) {
    this.guest = guest;
    this.allocator = allocator;
    this.maxOutputBytes = maxOutputBytes;
    this.declared = declared;
  }

  /** The allocator output vectors come from. */
  public BufferAllocator allocator() {
    return allocator;
  }

  /** The root of the last batch read, or null before the first. */
  public VectorSchemaRoot root() {
    return root;
  }

  /**
   * Validates and copies the output in the two slots. On success the root holds {@code rows}
   * rows; the caller then releases the guest's output with {@code wf_release}.
   */
  public VectorSchemaRoot read(int schemaPtr, int arrayPtr, long rows) {
    FlatMemory m = guest.memory();
    requireRange(m, schemaPtr, AbiV1.Schema.SIZE, "output ArrowSchema");
    requireRange(m, arrayPtr, AbiV1.Array.SIZE, "output ArrowArray");
    if (m.readInt(arrayPtr + AbiV1.Array.RELEASE) == 0) {
      throw violation("the output ArrowArray was not filled (its release is null)");
    }
    String topFormat = cString(m, m.readInt(schemaPtr + AbiV1.Schema.FORMAT), MAX_FORMAT_BYTES,
        "output schema format");
    if (!"+s".equals(topFormat)) {
      throw violation("output schema format is '" + topFormat + "', expected '+s' (a struct batch)");
    }
    long nSchema = m.readLong(schemaPtr + AbiV1.Schema.N_CHILDREN);
    long nArray = m.readLong(arrayPtr + AbiV1.Array.N_CHILDREN);
    if (nSchema != nArray || nSchema < 0 || nSchema > AbiV1.MAX_CHILDREN) {
      throw violation("output n_children is " + nSchema + " in the schema and " + nArray
          + " in the array (must be equal, 0.." + AbiV1.MAX_CHILDREN + ")");
    }
    int n = (int) nSchema;
    long length = m.readLong(arrayPtr + AbiV1.Array.LENGTH);
    long offset = m.readLong(arrayPtr + AbiV1.Array.OFFSET);
    if (length != rows) {
      throw violation("output has " + length + " rows for " + rows + " input rows (a map "
          + "function returns one row per input row)");
    }
    if (offset < 0 || offset > Integer.MAX_VALUE) {
      throw violation("output struct offset " + offset + " is out of range");
    }
    long nBuffers = m.readLong(arrayPtr + AbiV1.Array.N_BUFFERS);
    if (nBuffers != 1) {
      throw violation("output struct has n_buffers " + nBuffers + ", expected 1");
    }
    int topBuffers = m.readInt(arrayPtr + AbiV1.Array.BUFFERS);
    requireRange(m, topBuffers, 4, "output struct buffers");
    if (m.readInt(topBuffers) != 0 && m.readLong(arrayPtr + AbiV1.Array.NULL_COUNT) != 0) {
      throw violation("output struct has a validity bitmap with nulls: batch rows cannot be null");
    }
    int schemaChildren = m.readInt(schemaPtr + AbiV1.Schema.CHILDREN);
    int arrayChildren = m.readInt(arrayPtr + AbiV1.Array.CHILDREN);
    if (n > 0) {
      requireRange(m, schemaChildren, 4L * n, "output schema children");
      requireRange(m, arrayChildren, 4L * n, "output array children");
    }
    Schema schema = readSchema(m, schemaChildren, n);
    if (columns.length != n) {
      columns = new Column[n];
      for (int i = 0; i < n; i++) {
        columns[i] = new Column();
      }
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
      Column c = columns[i];
      c.type = ColumnType.ofArrowType(schema.getFields().get(i).getType());
      total += validateColumn(m, m.readInt(arrayChildren + 4 * i), c, offset, rows, i, schema);
      if (total > maxOutputBytes) {
        throw new WasmFlightException.LimitExceeded("output batch needs more than "
            + maxOutputBytes + " bytes (the per-batch output limit)");
      }
    }
    if (root == null) {
      root = VectorSchemaRoot.create(schema, allocator);
    } else if (!root.getSchema().equals(schema)) {
      throw violation("output schema changed between batches: was " + root.getSchema()
          + ", now " + schema);
    }
    byte[] mem = m.array();
    for (int i = 0; i < n; i++) {
      copyColumn(mem, columns[i], root.getVector(i), (int) rows);
    }
    root.setRowCount((int) rows);
    return root;
  }

  private Schema readSchema(FlatMemory m, int childrenPtr, int n) {
    List<Field> fields = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int s = m.readInt(childrenPtr + 4 * i);
      requireRange(m, s, AbiV1.Schema.SIZE, "output schema of column " + i);
      String format = cString(m, m.readInt(s + AbiV1.Schema.FORMAT), MAX_FORMAT_BYTES,
          "format of output column " + i);
      int namePtr = m.readInt(s + AbiV1.Schema.NAME);
      String name = namePtr == 0 ? "" : cString(m, namePtr, MAX_NAME_BYTES,
          "name of output column " + i);
      ColumnType type = ColumnType.ofFormat(format);
      if (type == null) {
        throw violation("output column " + i + " ('" + name + "') has format '" + format
            + "', which ABI 1.0 does not carry");
      }
      if (m.readLong(s + AbiV1.Schema.N_CHILDREN) != 0) {
        throw violation("output column " + i + " ('" + name + "') of format '" + format
            + "' declares children");
      }
      boolean nullable = (m.readLong(s + AbiV1.Schema.FLAGS) & AbiV1.FLAG_NULLABLE) != 0;
      fields.add(new Field(name, new FieldType(nullable, type.arrowType(), null), null));
    }
    Schema schema = new Schema(fields);
    if (declared != null && !declared.equals(schema)) {
      throw violation("output schema " + schema + " differs from the declared " + declared);
    }
    return schema;
  }

  /** Checks one column; returns the bytes its copy will take. */
  private long validateColumn(
      FlatMemory m, int a, Column c, long parentOffset, long rows, int i, Schema schema) {
    String col = "output column " + i + " ('" + schema.getFields().get(i).getName() + "')";
    requireRange(m, a, AbiV1.Array.SIZE, col + " ArrowArray");
    long length = m.readLong(a + AbiV1.Array.LENGTH);
    long offset = m.readLong(a + AbiV1.Array.OFFSET);
    long nullCount = m.readLong(a + AbiV1.Array.NULL_COUNT);
    long nBuffers = m.readLong(a + AbiV1.Array.N_BUFFERS);
    if (length < 0 || offset < 0 || length > Integer.MAX_VALUE || offset > Integer.MAX_VALUE) {
      throw violation(col + ": length " + length + " / offset " + offset + " out of range");
    }
    if (length < parentOffset + rows) {
      throw violation(col + ": length " + length + " is shorter than the batch ("
          + (parentOffset + rows) + " slots)");
    }
    if (nBuffers != c.type.bufferCount()) {
      throw violation(col + ": n_buffers is " + nBuffers + ", format '" + c.type.format()
          + "' needs " + c.type.bufferCount());
    }
    if (m.readLong(a + AbiV1.Array.N_CHILDREN) != 0) {
      throw violation(col + ": n_children must be 0");
    }
    if (nullCount < -1 || nullCount > length) {
      throw violation(col + ": null_count " + nullCount + " out of range");
    }
    int buffers = m.readInt(a + AbiV1.Array.BUFFERS);
    requireRange(m, buffers, 4L * nBuffers, col + " buffers array");
    c.start = offset + parentOffset;
    long end = c.start + rows;
    c.validity = m.readInt(buffers);
    c.values = m.readInt(buffers + 4);
    long bytes = (rows + 7) / 8;
    if (c.validity == 0) {
      if (nullCount > 0) {
        throw violation(col + ": null_count " + nullCount + " without a validity bitmap");
      }
    } else {
      requireRange(m, c.validity, (end + 7) / 8, col + " validity bitmap");
    }
    switch (c.type.layout()) {
      case FIXED -> {
        requireBuffer(m, c.values, end * c.type.byteWidth(), col + " values");
        bytes += rows * c.type.byteWidth();
      }
      case BITMAP -> {
        requireBuffer(m, c.values, (end + 7) / 8, col + " values bitmap");
        bytes += (rows + 7) / 8;
      }
      case VARIABLE -> {
        requireBuffer(m, c.values, (end + 1) * 4, col + " offsets");
        c.data = m.readInt(buffers + 8);
        int base = c.values + (int) c.start * 4;
        int prev = m.readInt(base);
        if (prev < 0) {
          throw violation(col + ": first offset " + prev + " is negative");
        }
        c.firstOffset = prev;
        for (int r = 1; r <= rows; r++) {
          int next = m.readInt(base + 4 * r);
          if (next < prev) {
            throw violation(col + ": offsets decrease at slot " + (c.start + r) + " (" + prev
                + " -> " + next + ")");
          }
          prev = next;
        }
        c.lastOffset = prev;
        requireBuffer(m, c.data, c.lastOffset, col + " data");
        bytes += (rows + 1) * 4 + (long) (c.lastOffset - c.firstOffset);
      }
    }
    return bytes;
  }

  private void copyColumn(byte[] mem, Column c, FieldVector v, int rows) {
    int bitmapBytes = (rows + 7) >>> 3;
    switch (c.type.layout()) {
      case FIXED, BITMAP -> {
        BaseFixedWidthVector fv = (BaseFixedWidthVector) v;
        if (fv.getValueCapacity() < rows || fv.getDataBuffer().capacity() == 0) {
          fv.setInitialCapacity(Math.max(rows, 1));
          fv.allocateNew();
        }
        if (c.type.layout() == ColumnType.Layout.FIXED) {
          int w = c.type.byteWidth();
          fv.getDataBuffer().setBytes(0, mem, c.values + (int) c.start * w, (long) rows * w);
        } else {
          copyBits(mem, c.values, c.start, rows, fv.getDataBuffer());
        }
      }
      case VARIABLE -> {
        BaseVariableWidthVector vv = (BaseVariableWidthVector) v;
        long dataBytes = (long) c.lastOffset - c.firstOffset;
        if (vv.getValueCapacity() < rows || vv.getDataBuffer().capacity() < dataBytes
            || vv.getOffsetBuffer().capacity() < 4L * (rows + 1)) {
          vv.allocateNew(Math.max(dataBytes, 1), Math.max(rows, 1));
        }
        ArrowBuf offsets = vv.getOffsetBuffer();
        int src = c.values + (int) c.start * 4;
        if (c.firstOffset == 0) {
          offsets.setBytes(0, mem, src, 4L * (rows + 1));
        } else {
          FlatMemory m = guest.memory();
          for (int r = 0; r <= rows; r++) {
            offsets.setInt(4L * r, m.readInt(src + 4 * r) - c.firstOffset);
          }
        }
        vv.getDataBuffer().setBytes(0, mem, c.data + c.firstOffset, dataBytes);
        vv.setLastSet(rows - 1);
      }
    }
    ArrowBuf validity = v.getValidityBuffer();
    if (c.validity == 0) {
      validity.setOne(0L, (long) bitmapBytes);
    } else {
      copyBits(mem, c.validity, c.start, rows, validity);
    }
    v.setValueCount(rows);
  }

  /** Copies bits [start, start + rows) to bit 0 of {@code to}, clearing the bits past rows. */
  private static void copyBits(byte[] mem, int src, long start, int rows, ArrowBuf to) {
    int bytes = (rows + 7) >>> 3;
    int shift = (int) (start & 7);
    int first = src + (int) (start >>> 3);
    int srcEnd = src + (int) ((start + rows + 7) >>> 3); // exclusive, validated
    if (shift == 0) {
      to.setBytes(0, mem, first, bytes);
    } else {
      for (int j = 0; j < bytes; j++) {
        int lo = mem[first + j] & 0xFF;
        int hi = first + j + 1 < srcEnd ? mem[first + j + 1] & 0xFF : 0;
        to.setByte(j, (lo >>> shift) | (hi << (8 - shift)));
      }
    }
    int tail = rows & 7;
    if (tail != 0) {
      to.setByte(bytes - 1, to.getByte(bytes - 1) & ((1 << tail) - 1));
    }
  }

  private static void requireRange(FlatMemory m, int ptr, long len, String what) {
    if (ptr == 0 || !m.inBounds(Integer.toUnsignedLong(ptr), len)) {
      throw violation(what + " at " + Integer.toUnsignedString(ptr) + " (" + len
          + " bytes) is null or outside guest memory (" + m.size() + " bytes)");
    }
  }

  /** A buffer may be null only when it covers no bytes. */
  private static void requireBuffer(FlatMemory m, int ptr, long len, String what) {
    if (len == 0 && ptr == 0) {
      return;
    }
    requireRange(m, ptr, len, what);
  }

  private static String cString(FlatMemory m, int ptr, int max, String what) {
    requireRange(m, ptr, 1, what);
    byte[] mem = m.array();
    int p = ptr;
    int limit = (int) Math.min((long) ptr + max, mem.length);
    while (p < limit && mem[p] != 0) {
      p++;
    }
    if (p == limit) {
      throw violation(what + " is not NUL-terminated within " + max + " bytes");
    }
    return new String(mem, ptr, p - ptr, StandardCharsets.UTF_8);
  }

  private static WasmFlightException violation(String detail) {
    return new WasmFlightException.AbiViolation(detail);
  }

  @Override
  public void close() {
    if (root != null) {
      root.close();
      root = null;
    }
  }
}
