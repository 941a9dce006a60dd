package io.wasmflight.server.internal.abi;

import io.wasmflight.server.WasmFlightException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes a session's input batches into guest memory in the C Data layout (abi-v1.md 5.3).
 *
 * <p>The schema structs are written once, at construction. Every batch rewrites the array structs
 * and copies each Arrow buffer with one bulk copy into a guest allocation that is kept and grown
 * across batches. All of it belongs to the host and lives until the instance is dropped.
 */
public final class InputWriter {
  private final GuestInstance guest;
  private final Schema schema;
  private final ColumnType[] types;
  private final int schemaPtr;
  private final int arrayPtr;
  /** Per column, per C Data buffer: reusable guest allocations (index 0 = validity). */
  private final GuestBuffer[][] buffers;

  /** A host-owned guest allocation that only grows. */
  private static final class GuestBuffer {
    int ptr;
    long capacity;
  }

  /**
   * Checks the schema (every column must be an ABI 1.0 type) and writes the schema structs.
   *
   * @throws WasmFlightException.BadRequest naming the first unsupported column
   */
  public InputWriter(GuestInstance guest, Schema schema) {
    this.guest = guest;
    this.schema = schema;
    List<Field> fields = schema.getFields();
    int n = fields.size();
    this.types = new ColumnType[n];
    for (int i = 0; i < n; i++) {
      Field f = fields.get(i);
      ColumnType t = ColumnType.ofArrowType(f.getType());
      if (t == null || !f.getChildren().isEmpty() || f.getDictionary() != null) {
        throw new WasmFlightException.BadRequest(
            "input column " + i + " ('" + f.getName() + "') has type " + f.getType()
                + (f.getDictionary() != null ? " (dictionary-encoded)" : "")
                + ", which ABI 1.0 does not pass to guests; supported: int8-64, uint8-64, "
                + "float32, float64, bool, utf8, binary");
      }
      types[i] = t;
    }
    this.schemaPtr = writeSchema(fields);
    this.arrayPtr = allocArrayStructs();
    this.buffers = new GuestBuffer[n][];
    for (int i = 0; i < n; i++) {
      buffers[i] = new GuestBuffer[types[i].bufferCount()];
      for (int b = 0; b < buffers[i].length; b++) {
        buffers[i][b] = new GuestBuffer();
      }
    }
  }

  /** The session's input schema. */
  public Schema schema() {
    return schema;
  }

  public int schemaPtr() {
    return schemaPtr;
  }

  public int arrayPtr() {
    return arrayPtr;
  }

  private int writeSchema(List<Field> fields) {
    int n = fields.size();
    byte[][] names = new byte[n][];
    long size = (long) AbiV1.Schema.SIZE * (n + 1) + 4L * n + 3;
    for (int i = 0; i < n; i++) {
      names[i] = fields.get(i).getName().getBytes(StandardCharsets.UTF_8);
      size += types[i].format().length() + 1 + names[i].length + 1;
    }
    int base = guest.alloc(size, AbiV1.Schema.ALIGN);
    FlatMemory m = guest.memory();
    m.fill((byte) 0, base, (int) (base + size));
    int childSchemas = base + AbiV1.Schema.SIZE;
    int childPtrs = childSchemas + AbiV1.Schema.SIZE * n;
    int strings = childPtrs + 4 * n;
    m.writeI32(base + AbiV1.Schema.FORMAT, strings);
    strings = putCString(m, strings, "+s".getBytes(StandardCharsets.US_ASCII));
    m.writeLong(base + AbiV1.Schema.N_CHILDREN, n);
    m.writeI32(base + AbiV1.Schema.CHILDREN, n == 0 ? 0 : childPtrs);
    for (int i = 0; i < n; i++) {
      int s = childSchemas + AbiV1.Schema.SIZE * i;
      m.writeI32(childPtrs + 4 * i, s);
      int format = strings;
      strings = putCString(m, strings, types[i].format().getBytes(StandardCharsets.US_ASCII));
      int name = strings;
      strings = putCString(m, strings, names[i]);
      m.writeI32(s + AbiV1.Schema.FORMAT, format);
      m.writeI32(s + AbiV1.Schema.NAME, name);
      m.writeLong(s + AbiV1.Schema.FLAGS, fields.get(i).isNullable() ? AbiV1.FLAG_NULLABLE : 0);
    }
    return base;
  }

  private static int putCString(FlatMemory m, int at, byte[] s) {
    m.write(at, s, 0, s.length);
    m.writeByte(at + s.length, (byte) 0);
    return at + s.length + 1;
  }

  /** Allocates [top array][child arrays][top buffers (1)][children ptrs][per-column buffer ptrs]. */
  private int allocArrayStructs() {
    int n = types.length;
    long size = (long) AbiV1.Array.SIZE * (n + 1) + 4 + 4L * n;
    for (ColumnType t : types) {
      size += 4L * t.bufferCount();
    }
    int base = guest.alloc(size, AbiV1.Array.ALIGN);
    guest.memory().fill((byte) 0, base, (int) (base + size));
    return base;
  }

  /** Copies one batch into guest memory and rewrites the array structs. */
  public void write(VectorSchemaRoot root) {
    int rows = root.getRowCount();
    int n = types.length;
    // First make room (guest calls may grow memory and replace its array), then copy.
    for (int i = 0; i < n; i++) {
      FieldVector v = root.getVector(i);
      GuestBuffer[] bufs = buffers[i];
      ensure(bufs[0], v.getNullCount() > 0 ? validityBytes(rows) : 0);
      switch (types[i].layout()) {
        case FIXED -> ensure(bufs[1], (long) rows * types[i].byteWidth());
        case BITMAP -> ensure(bufs[1], validityBytes(rows));
        case VARIABLE -> {
          ensure(bufs[1], 4L * (rows + 1));
          ensure(bufs[2], dataBytes((BaseVariableWidthVector) v, rows));
        }
      }
    }
    FlatMemory m = guest.memory();
    byte[] mem = m.array();
    int childArrays = arrayPtr + AbiV1.Array.SIZE;
    int topBuffers = childArrays + AbiV1.Array.SIZE * n;
    int childPtrs = topBuffers + 4;
    int bufferPtrs = childPtrs + 4 * n;
    for (int i = 0; i < n; i++) {
      FieldVector v = root.getVector(i);
      GuestBuffer[] bufs = buffers[i];
      int nulls = v.getNullCount();
      int validity = 0;
      if (nulls > 0) {
        validity = bufs[0].ptr;
        v.getValidityBuffer().getBytes(0, mem, validity, validityBytes(rows));
      }
      m.writeI32(bufferPtrs, validity);
      switch (types[i].layout()) {
        case FIXED -> copyOut(v.getDataBuffer(), mem, bufs[1].ptr, rows * types[i].byteWidth());
        case BITMAP -> copyOut(v.getDataBuffer(), mem, bufs[1].ptr, validityBytes(rows));
        case VARIABLE -> {
          if (rows == 0) {
            m.writeI32(bufs[1].ptr, 0);
          } else {
            copyOut(v.getOffsetBuffer(), mem, bufs[1].ptr, 4 * (rows + 1));
          }
          copyOut(v.getDataBuffer(), mem, bufs[2].ptr,
              (int) dataBytes((BaseVariableWidthVector) v, rows));
          m.writeI32(bufferPtrs + 8, bufs[2].ptr);
        }
      }
      m.writeI32(bufferPtrs + 4, bufs[1].ptr);
      int a = childArrays + AbiV1.Array.SIZE * i;
      m.writeI32(childPtrs + 4 * i, a);
      writeArray(m, a, rows, nulls, types[i].bufferCount(), 0, bufferPtrs, 0);
      bufferPtrs += 4 * types[i].bufferCount();
    }
    m.writeI32(topBuffers, 0);
    writeArray(m, arrayPtr, rows, 0, 1, n, topBuffers, n == 0 ? 0 : childPtrs);
  }

  private static void writeArray(
      FlatMemory m, int a, long length, long nullCount, int nBuffers, int nChildren,
      int buffersPtr, int childrenPtr) {
    m.writeLong(a + AbiV1.Array.LENGTH, length);
    m.writeLong(a + AbiV1.Array.NULL_COUNT, nullCount);
    m.writeLong(a + AbiV1.Array.OFFSET, 0);
    m.writeLong(a + AbiV1.Array.N_BUFFERS, nBuffers);
    m.writeLong(a + AbiV1.Array.N_CHILDREN, nChildren);
    m.writeI32(a + AbiV1.Array.BUFFERS, buffersPtr);
    m.writeI32(a + AbiV1.Array.CHILDREN, childrenPtr);
    m.writeI32(a + AbiV1.Array.DICTIONARY, 0);
    m.writeI32(a + AbiV1.Array.RELEASE, 0);
    m.writeI32(a + AbiV1.Array.PRIVATE_DATA, 0);
  }

  private static void copyOut(ArrowBuf from, byte[] mem, int to, int length) {
    if (length > 0) {
      from.getBytes(0, mem, to, length);
    }
  }

  private static int validityBytes(int rows) {
    return (rows + 7) >>> 3;
  }

  private static long dataBytes(BaseVariableWidthVector v, int rows) {
    return rows == 0 ? 0 : v.getOffsetBuffer().getInt((long) rows * 4);
  }

  private void ensure(GuestBuffer b, long need) {
    if (b.ptr != 0 && b.capacity >= need) {
      return;
    }
    long cap = Math.max(Math.max(need, b.capacity + (b.capacity >>> 1)), 64);
    if (b.ptr != 0) {
      guest.free(b.ptr, b.capacity, AbiV1.BUFFER_ALIGN);
      b.ptr = 0;
      b.capacity = 0;
    }
    b.ptr = guest.alloc(cap, AbiV1.BUFFER_ALIGN);
    b.capacity = cap;
  }
}
