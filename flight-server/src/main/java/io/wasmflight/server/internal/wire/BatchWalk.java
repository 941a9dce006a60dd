package io.wasmflight.server.internal.wire;

import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Buf;
import io.wasmflight.server.internal.wire.InputCheck.Col;
import io.wasmflight.server.internal.wire.InputCheck.Refused;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * One record batch header checked against its body and the stream's layout, the way Arrow Java's
 * {@code VectorLoader} will consume it (field nodes and buffers in depth-first order, variadic
 * buffer counts per view column): every length in range, every buffer inside the body and large
 * enough for the rows it claims, offsets non-decreasing and inside what they address, child lengths
 * covering what their parents use, union type ids declared, list views and views inside their
 * targets, run ends increasing, dictionary indices inside the current dictionary. Arrow Java
 * allocates to make up for what is missing (a short buffer is reallocated to the claimed size);
 * what is checked here bounds that to what the body itself holds.
 */
final class BatchWalk {
  private static final long MAX_LENGTH = Integer.MAX_VALUE;

  /** Omitted validity bitmaps Arrow Java may allocate beyond the body's size, per batch. */
  private static final long IMPLICIT_VALIDITY_SLACK = 1 << 20;

  private final String subject;
  private final long[] nodeLength;
  private final long[] nodeNulls;
  private final long[] bufOffset;
  private final long[] bufLength;
  private final long[] variadic;
  private final ArrowBuf body;
  private final long bodySize;
  private final Map<Long, Long> dictionaryLengths;
  private int node;
  private int buf;
  private int views;
  private long implicitValidity;

  /** What one column consumed: its node and its first buffer. */
  private record Seen(int node, int firstBuffer) {}

  private BatchWalk(
      String subject,
      RecordBatch batch,
      int headerBytes,
      ArrowBuf body,
      Map<Long, Long> dictionaryLengths)
      throws Refused {
    this.subject = subject;
    this.body = body;
    this.bodySize = body == null ? 0 : body.capacity();
    this.dictionaryLengths = dictionaryLengths;
    try {
      if (batch.compression() != null) {
        throw problem(
            "its body is compressed ("
                + CompressionType.name(batch.compression().codec())
                + "); send uncompressed batches");
      }
      // Each entry takes at least 8 bytes of the header: bound the arrays before allocating.
      int nodes = batch.nodesLength();
      int buffers = batch.buffersLength();
      int counts = batch.variadicBufferCountsLength();
      if (nodes < 0
          || buffers < 0
          || counts < 0
          || nodes > headerBytes / 8
          || buffers > headerBytes / 8
          || counts > headerBytes / 8) {
        throw problem("its header is not a valid flatbuffer (vector lengths past its end)");
      }
      nodeLength = new long[nodes];
      nodeNulls = new long[nodes];
      for (int i = 0; i < nodes; i++) {
        var n = batch.nodes(i);
        nodeLength[i] = n.length();
        nodeNulls[i] = n.nullCount();
      }
      bufOffset = new long[buffers];
      bufLength = new long[buffers];
      for (int i = 0; i < buffers; i++) {
        var b = batch.buffers(i);
        bufOffset[i] = b.offset();
        bufLength[i] = b.length();
      }
      variadic = new long[counts];
      for (int i = 0; i < counts; i++) {
        variadic[i] = batch.variadicBufferCounts(i);
      }
    } catch (RuntimeException e) {
      throw problem(
          "its header is not a valid flatbuffer (" + e.getClass().getSimpleName() + " reading it)");
    }
  }

  /**
   * Checks one batch (a record batch, or a dictionary batch's data with the values column).
   *
   * @return the batch's row count
   */
  static long check(
      String subject,
      RecordBatch batch,
      long declaredBody,
      int headerBytes,
      ArrowBuf body,
      Col[] columns,
      Map<Long, Long> dictionaryLengths)
      throws Refused {
    BatchWalk w = new BatchWalk(subject, batch, headerBytes, body, dictionaryLengths);
    long length;
    try {
      length = batch.length();
    } catch (RuntimeException e) {
      throw w.problem("its header is not a valid flatbuffer");
    }
    if (length < 0) {
      throw w.problem("length " + length + " is negative");
    }
    if (length > MAX_LENGTH) {
      throw w.problem("length " + length + " is above 2^31 - 1 rows");
    }
    if (declaredBody > w.bodySize) {
      throw w.problem(
          "its header says the body has " + declaredBody + " bytes; it has " + w.bodySize);
    }
    for (int i = 0; i < w.bufOffset.length; i++) {
      long off = w.bufOffset[i];
      long len = w.bufLength[i];
      if (off < 0 || len < 0 || off > w.bodySize || len > w.bodySize - off) {
        throw w.problem(
            "buffer "
                + i
                + " (bytes "
                + off
                + ".."
                + (off + len)
                + ") lies outside the "
                + w.bodySize
                + "-byte body");
      }
    }
    for (Col c : columns) {
      w.col(c, length);
    }
    if (w.node != w.nodeLength.length
        || w.buf != w.bufLength.length
        || w.views != w.variadic.length) {
      throw w.problem(
          "it has "
              + w.nodeLength.length
              + " field nodes, "
              + w.bufLength.length
              + " buffers and "
              + w.variadic.length
              + " variadic buffer counts; the schema uses "
              + w.node
              + ", "
              + w.buf
              + " and "
              + w.views);
    }
    return length;
  }

  private Refused problem(String detail) {
    return new Refused(subject, detail);
  }

  private Seen col(Col c, long min) throws Refused {
    String path = c.path();
    if (node >= nodeLength.length) {
      throw problem(path + ": the batch has only " + nodeLength.length + " field nodes");
    }
    int n = node++;
    long len = nodeLength[n];
    long nulls = nodeNulls[n];
    if (len < 0) {
      throw problem(path + ": length " + len + " is negative");
    }
    if (len > MAX_LENGTH) {
      throw problem(path + ": length " + len + " is above 2^31 - 1 rows");
    }
    if (nulls < 0 || nulls > len) {
      throw problem(path + ": null count " + nulls + " is out of range for " + len + " rows");
    }
    if (len < min) {
      throw problem(
          path + ": length " + len + " is shorter than the " + min + " slots it must cover");
    }
    if (c.unsupported() != null) {
      throw problem(path + ": " + c.unsupported());
    }
    CDataFormat f = c.format();
    int count = f.buffers().length;
    long nVariadic = 0;
    if (f.kind() == CDataFormat.Kind.VIEW) {
      if (views >= variadic.length) {
        throw problem(path + ": the batch has no variadic buffer count for this view column");
      }
      nVariadic = variadic[views++];
      if (nVariadic < 0 || nVariadic > bufLength.length) {
        throw problem(path + ": variadic buffer count " + nVariadic + " is out of range");
      }
      count += (int) nVariadic;
    }
    if (buf + count > bufLength.length) {
      throw problem(path + ": the batch has only " + bufLength.length + " buffers");
    }
    int first = buf;
    buf += count;
    Seen seen = new Seen(n, first);
    Buf[] roles = f.buffers();
    for (int b = 0; b < roles.length; b++) {
      int at = first + b;
      long w = f.width();
      switch (roles[b]) {
        case VALIDITY -> validity(path, at, len, nulls);
        case BITS -> need(path, at, (len + 7) >>> 3, "values", len);
        case VALUES -> need(path, at, len * w, "values", len);
        case VIEWS -> need(path, at, len * CDataFormat.VIEW_SIZE, "views", len);
        case TYPE_IDS -> need(path, at, len, "type ids", len);
        case UNION_OFFSETS -> need(path, at, len * 4, "offsets", len);
        case VIEW_OFFSETS -> need(path, at, len * w, "offsets", len);
        case VIEW_SIZES -> need(path, at, len * w, "sizes", len);
        case OFFSETS -> {
          if (len > 0) {
            need(path, at, (len + 1) * w, "offsets", len);
          }
        }
        case DATA -> {}
      }
    }
    Col[] kids = c.children();
    switch (f.kind()) {
      case BINARY ->
          offsets(
              path,
              first + 1,
              len,
              f.width(),
              bufLength[first + 2],
              "its data buffer's " + bufLength[first + 2] + " bytes");
      case VIEW -> views(path, first, len, nulls, (int) nVariadic);
      case LIST -> col(kids[0], offsets(path, first + 1, len, f.width(), -1, null));
      case FIXED_LIST -> col(kids[0], len * f.width());
      case LIST_VIEW -> col(kids[0], listViews(path, first, len, f.width()));
      case STRUCT, SPARSE_UNION -> {
        if (f.kind() == CDataFormat.Kind.SPARSE_UNION) {
          unionIds(path, f, first, len, null);
        }
        for (Col k : kids) {
          col(k, len);
        }
      }
      case DENSE_UNION -> {
        long[] need = new long[kids.length];
        unionIds(path, f, first, len, need);
        for (int i = 0; i < kids.length; i++) {
          col(kids[i], need[i]);
        }
      }
      case RUN_END -> {
        Seen ends = col(kids[0], 0);
        col(kids[1], runEnds(kids[0], ends, len));
      }
      case FIXED -> {
        if (c.dictionaryId() >= 0) {
          indices(path, f, first, len, nulls, c.dictionaryId());
        }
      }
      default -> {}
    }
    return seen;
  }

  private void need(String path, int at, long bytes, String role, long rows) throws Refused {
    if (bufLength[at] < bytes) {
      throw problem(
          path
              + ": its "
              + role
              + " buffer holds "
              + bufLength[at]
              + " bytes, "
              + bytes
              + " needed for "
              + rows
              + " rows");
    }
  }

  /** Arrow Java allocates an omitted bitmap (no nulls, or all null): bounded per batch. */
  private void validity(String path, int at, long len, long nulls) throws Refused {
    long bytes = (len + 7) >>> 3;
    if (bufLength[at] == 0 && (nulls == 0 || nulls == len)) {
      implicitValidity += bytes;
      if (implicitValidity > Math.max(bodySize, IMPLICIT_VALIDITY_SLACK)) {
        throw problem(
            path
                + ": the batch omits validity bitmaps for more rows than its "
                + bodySize
                + "-byte body holds");
      }
      return;
    }
    need(path, at, bytes, "validity", len);
  }

  private ByteBuffer view(int at) {
    return body.nioBuffer(bufOffset[at], (int) bufLength[at]).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long get(ByteBuffer b, long i, int width) {
    return switch (width) {
      case 1 -> b.get((int) i);
      case 2 -> b.getShort((int) (i * 2));
      case 4 -> b.getInt((int) (i * 4));
      default -> b.getLong((int) (i * 8));
    };
  }

  /** True when slot i is valid (an omitted bitmap: valid unless every slot is null). */
  private boolean valid(int validityAt, long i, long len, long nulls) {
    if (bufLength[validityAt] == 0) {
      return nulls != len || len == 0;
    }
    int bits = body.getByte(bufOffset[validityAt] + (i >>> 3));
    return (bits & (1 << (i & 7))) != 0;
  }

  /**
   * Offsets: non-negative, non-decreasing, the last inside {@code limit} (or, with limit -1,
   * anything: the child's length is checked against it).
   *
   * @return the last offset (0 for an empty array)
   */
  private long offsets(String path, int at, long len, int width, long limit, String what)
      throws Refused {
    if (len == 0) {
      return 0;
    }
    ByteBuffer b = view(at);
    long prev = get(b, 0, width);
    if (prev < 0) {
      throw problem(path + ": its first offset " + prev + " is negative");
    }
    for (long i = 1; i <= len; i++) {
      long o = get(b, i, width);
      if (o < prev) {
        throw problem(
            path + ": offsets decrease at row " + (i - 1) + " (" + prev + " -> " + o + ")");
      }
      prev = o;
    }
    if (limit >= 0 && prev > limit) {
      throw problem(path + ": its last offset " + prev + " is past " + what);
    }
    if (prev > MAX_LENGTH) {
      throw problem(path + ": its last offset " + prev + " is above 2^31 - 1");
    }
    return prev;
  }

  /** List views, every slot (Arrow Java sizes the child from all of them). */
  private long listViews(String path, int first, long len, int width) throws Refused {
    ByteBuffer offsets = view(first + 1);
    ByteBuffer sizes = view(first + 2);
    long end = 0;
    for (long i = 0; i < len; i++) {
      long o = get(offsets, i, width);
      long s = get(sizes, i, width);
      if (o < 0 || s < 0 || o > MAX_LENGTH || s > MAX_LENGTH - o) {
        throw problem(path + ": list view at row " + i + " has offset " + o + " and size " + s);
      }
      end = Math.max(end, o + s);
    }
    return end;
  }

  private void views(String path, int first, long len, long nulls, int nVariadic) throws Refused {
    ByteBuffer b = view(first + 1);
    for (long i = 0; i < len; i++) {
      int at = (int) (i * CDataFormat.VIEW_SIZE);
      int size = b.getInt(at);
      if (size < 0) {
        throw problem(path + ": the view at row " + i + " has length " + size);
      }
      if (size <= CDataFormat.VIEW_INLINE_MAX || !valid(first, i, len, nulls)) {
        continue;
      }
      int index = b.getInt(at + 8);
      int offset = b.getInt(at + 12);
      if (index < 0
          || index >= nVariadic
          || offset < 0
          || (long) offset + size > bufLength[first + 2 + index]) {
        throw problem(
            path
                + ": the view at row "
                + i
                + " references bytes "
                + offset
                + ".."
                + ((long) offset + size)
                + " of data buffer "
                + index
                + ", which does not exist or is shorter");
      }
    }
  }

  /** Type ids are declared ones; dense offsets give each member the length it needs. */
  private void unionIds(String path, CDataFormat f, int first, long len, long[] need)
      throws Refused {
    ByteBuffer ids = view(first);
    ByteBuffer offsets = need == null ? null : view(first + 1);
    for (long i = 0; i < len; i++) {
      int id = ids.get((int) i);
      int child = f.childOfTypeId(id);
      if (child < 0) {
        throw problem(
            path
                + ": type id "
                + id
                + " at row "
                + i
                + " is not one of the union's "
                + java.util.Arrays.toString(f.typeIds()));
      }
      if (need != null) {
        int o = offsets.getInt((int) (i * 4));
        if (o < 0) {
          throw problem(path + ": union offset " + o + " at row " + i + " is negative");
        }
        need[child] = Math.max(need[child], o + 1L);
      }
    }
  }

  /** Run ends: no nulls, increasing, the last covering the array; returns the run count. */
  private long runEnds(Col endsCol, Seen ends, long len) throws Refused {
    long runs = nodeLength[ends.node()];
    String path = endsCol.path();
    if (endsCol.format().kind() != CDataFormat.Kind.FIXED
        || endsCol.dictionaryId() >= 0
        || !(endsCol.format().type() instanceof ArrowType.Int i)
        || i.getBitWidth() < 16) {
      throw problem(path + ": run ends must be int16, int32 or int64");
    }
    if (nodeNulls[ends.node()] != 0) {
      throw problem(path + ": run ends must not be null");
    }
    if (len == 0) {
      return 0;
    }
    if (runs == 0) {
      throw problem(path + ": no run ends for " + len + " rows");
    }
    ByteBuffer b = view(ends.firstBuffer() + 1);
    int width = endsCol.format().width();
    long prev = 0;
    for (long j = 0; j < runs; j++) {
      long e = get(b, j, width);
      if (e <= prev) {
        throw problem(path + ": run end " + e + " at run " + j + " is not greater than " + prev);
      }
      prev = e;
    }
    if (prev < len) {
      throw problem(
          path + ": the last run end (" + prev + ") is before the end of the " + len + " rows");
    }
    return runs;
  }

  private void indices(String path, CDataFormat f, int first, long len, long nulls, long id)
      throws Refused {
    long size = dictionaryLengths.getOrDefault(id, 0L);
    ByteBuffer b = view(first + 1);
    int width = f.width();
    boolean signed = ((ArrowType.Int) f.type()).getIsSigned();
    for (long i = 0; i < len; i++) {
      if (!valid(first, i, len, nulls)) {
        continue;
      }
      long v = get(b, i, width);
      if (!signed && width < 8) {
        v &= (1L << (8 * width)) - 1;
      }
      if (v < 0 || v >= size) {
        throw problem(
            path
                + ": dictionary index "
                + (!signed && v < 0 ? Long.toUnsignedString(v) : v)
                + " at row "
                + i
                + " is outside the dictionary's "
                + size
                + " values (dictionary id "
                + id
                + ")");
      }
    }
  }
}
