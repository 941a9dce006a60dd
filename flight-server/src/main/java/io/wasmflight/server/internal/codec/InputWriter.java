package io.wasmflight.server.internal.codec;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Buf;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes a session's input batches into guest memory in the C Data layout (abi-v1.md 5.3,
 * types.md): every Arrow type, nested, with dictionaries and metadata.
 *
 * <p>The schema structs are written once, at construction. Every batch rewrites the array structs
 * and copies each Arrow buffer with one bulk copy into a guest allocation that is kept and grown
 * across batches; a dictionary is copied with every batch (it may change mid-stream). All of it
 * belongs to the host and lives until the instance is dropped.
 */
public final class InputWriter {
  private final GuestInstance guest;
  private final Schema schema;
  private final DictionaryProvider dictionaries;
  private final Node top;

  /** Every node, parents before children, dictionaries after the node they belong to. */
  private final List<Node> nodes = new ArrayList<>();

  private final int schemaPtr;
  private final int arrayPtr;

  /** A host-owned guest allocation that only grows. */
  private static final class GuestBuffer {
    int ptr;
    long capacity;
  }

  /** One array of the C Data tree: a column, a child, or a dictionary's values. */
  private static final class Node {
    final CDataFormat format;
    final Field field; // null for the top-level batch struct
    final String path;
    final Node[] children;
    final long dictionaryId;
    Node dictionary;
    final Buf[] bufs;
    final GuestBuffer[] guestBufs;

    /** Bytes to copy per buffer this batch (0 = null pointer for validity). */
    final long[] need;

    int schema;
    int array;
    int buffersPtr; // fixed-count kinds: inside the struct block
    int childrenPtr;
    // Views: variadic buffers, their sizes, and a growing pointer array.
    List<GuestBuffer> variadic;
    GuestBuffer viewPtrs;
    GuestBuffer viewSizes;
    long[] variadicNeed = new long[0];
    int variadicCount;
    // Per batch.
    FieldVector vector;
    long length;
    long nullCount;

    Node(CDataFormat format, Field field, String path, int nChildren, long dictionaryId) {
      this.format = format;
      this.field = field;
      this.path = path;
      this.children = new Node[nChildren];
      this.dictionaryId = dictionaryId;
      this.bufs = format.buffers();
      this.guestBufs = new GuestBuffer[bufs.length];
      for (int i = 0; i < bufs.length; i++) {
        guestBufs[i] = new GuestBuffer();
      }
      this.need = new long[bufs.length];
      if (format.kind() == Kind.VIEW) {
        variadic = new ArrayList<>();
        viewPtrs = new GuestBuffer();
        viewSizes = new GuestBuffer();
      }
    }
  }

  /** An input writer for a schema without dictionary-encoded fields. */
  public InputWriter(GuestInstance guest, Schema schema) {
    this(guest, schema, null);
  }

  /**
   * Checks the schema, builds the layout of every column and writes the schema structs.
   *
   * @param dictionaries the stream's dictionaries (looked up again for every batch), or null
   * @throws WasmFlightException.BadRequest naming the first column that cannot be passed
   */
  public InputWriter(GuestInstance guest, Schema schema, DictionaryProvider dictionaries) {
    this.guest = guest;
    this.schema = schema;
    this.dictionaries = dictionaries;
    List<Field> fields = schema.getFields();
    this.top = new Node(CDataFormat.parse("+s", 0), null, "input batch", fields.size(), -1);
    nodes.add(top);
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      top.children[i] = build(f, "input column " + i + " ('" + f.getName() + "')", 0);
    }
    this.schemaPtr = writeSchemas();
    this.arrayPtr = allocArrayStructs();
  }

  private Node build(Field field, String path, int depth) {
    if (depth > AbiV1.MAX_DEPTH) {
      throw new WasmFlightException.BadRequest(
          path + " is nested deeper than " + AbiV1.MAX_DEPTH + " levels");
    }
    CDataFormat format;
    try {
      format = CDataFormat.of(field.getType());
    } catch (CDataFormat.UnsupportedFormat e) {
      throw new WasmFlightException.BadRequest(
          path
              + " has type "
              + field.getType()
              + ", which cannot be passed to guests: "
              + e.getMessage());
    }
    DictionaryEncoding encoding = field.getDictionary();
    List<Field> children = field.getChildren();
    Node node =
        new Node(format, field, path, children.size(), encoding == null ? -1 : encoding.getId());
    int need = format.childCount();
    if (need >= 0 && need != children.size()) {
      throw new WasmFlightException.BadRequest(
          path
              + " of type "
              + field.getType()
              + " has "
              + children.size()
              + " children, expected "
              + need);
    }
    nodes.add(node);
    for (int i = 0; i < children.size(); i++) {
      Field c = children.get(i);
      node.children[i] = build(c, childPath(path, format, c), depth + 1);
    }
    if (encoding != null) {
      if (!format.isDictionaryIndex()) {
        throw new WasmFlightException.BadRequest(
            path
                + " is dictionary-encoded with index type "
                + field.getType()
                + "; indices must be integers");
      }
      Dictionary d = dictionaries == null ? null : dictionaries.lookup(encoding.getId());
      if (d == null) {
        throw new WasmFlightException.BadRequest(
            path
                + " is dictionary-encoded but the stream "
                + "has no dictionary with id "
                + encoding.getId());
      }
      Field values = d.getVector().getField();
      if (containsUnion(values)) {
        throw new WasmFlightException.BadRequest(
            path
                + " has dictionary values of type "
                + values.getType()
                + " containing a union, which Arrow Java cannot describe "
                + "faithfully (its union vectors report other type ids)");
      }
      node.dictionary = build(values, path + " dictionary", depth + 1);
    }
    return node;
  }

  /**
   * Refuses input schemas that Arrow Java's IPC reader (hence Flight) cannot load faithfully: its
   * {@code DenseUnionVector} lists members by ascending type id while the loader pairs them with
   * the children in schema order, so a dense union whose type ids are not ascending is loaded into
   * the wrong children.
   *
   * @throws WasmFlightException.BadRequest naming the field
   */
  public static void checkReadable(Schema schema) {
    for (int i = 0; i < schema.getFields().size(); i++) {
      Field f = schema.getFields().get(i);
      checkReadable(f, "input column " + i + " ('" + f.getName() + "')");
    }
  }

  private static void checkReadable(Field f, String path) {
    if (f.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Union u
        && u.getMode() == org.apache.arrow.vector.types.UnionMode.Dense
        && u.getTypeIds() != null) {
      int[] ids = u.getTypeIds();
      for (int k = 1; k < ids.length; k++) {
        if (ids[k] <= ids[k - 1]) {
          throw new WasmFlightException.BadRequest(
              path
                  + " is a dense union with type ids "
                  + java.util.Arrays.toString(ids)
                  + " not in ascending order, which Arrow Java's "
                  + "Flight reader loads into the wrong children; number the members in ascending "
                  + "order");
        }
      }
    }
    CDataFormat format;
    try {
      format = CDataFormat.of(f.getType());
    } catch (CDataFormat.UnsupportedFormat e) {
      return;
    }
    for (Field c : f.getChildren()) {
      checkReadable(c, childPath(path, format, c));
    }
  }

  private static boolean containsUnion(Field f) {
    return f.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Union
        || f.getChildren().stream().anyMatch(InputWriter::containsUnion);
  }

  static String childPath(String parent, CDataFormat format, Field child) {
    return switch (format.kind()) {
      case LIST, FIXED_LIST, LIST_VIEW -> parent + "[" + child.getName() + "]";
      default -> parent + "." + child.getName();
    };
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

  // ---------------------------------------------------------------------------------------------
  // Schema structs: written once
  // ---------------------------------------------------------------------------------------------

  /** One allocation: [schema structs][children pointer arrays][metadata][strings]. */
  private int writeSchemas() {
    int n = nodes.size();
    byte[][] formats = new byte[n][];
    byte[][] names = new byte[n][];
    byte[][] metadata = new byte[n][];
    long size = (long) AbiV1.Schema.SIZE * n;
    long pointers = 0;
    long meta = 0;
    long strings = 0;
    for (int i = 0; i < n; i++) {
      Node node = nodes.get(i);
      formats[i] = node.format.format().getBytes(StandardCharsets.UTF_8);
      if (node == top) {
        names[i] = null;
        metadata[i] = CDataMetadata.encode(schema.getCustomMetadata());
      } else {
        names[i] =
            node.field.getName() == null
                ? null
                : node.field.getName().getBytes(StandardCharsets.UTF_8);
        metadata[i] = CDataMetadata.encode(fieldMetadata(node.field));
      }
      pointers += 4L * node.children.length;
      if (metadata[i] != null) {
        meta += (metadata[i].length + 7) & ~7L;
      }
      strings += formats[i].length + 1 + (names[i] == null ? 0 : names[i].length + 1);
    }
    pointers = (pointers + 7) & ~7L;
    size += pointers + meta + strings;
    int base = guest.alloc(Math.max(size, 1), AbiV1.Schema.ALIGN);
    FlatMemory m = guest.memory();
    m.fill((byte) 0, base, (int) (base + size));
    for (int i = 0; i < n; i++) {
      nodes.get(i).schema = base + AbiV1.Schema.SIZE * i;
    }
    int ptrAt = base + AbiV1.Schema.SIZE * n;
    int metaAt = (int) (ptrAt + pointers);
    int strAt = (int) (metaAt + meta);
    for (int i = 0; i < n; i++) {
      Node node = nodes.get(i);
      int s = node.schema;
      m.writeI32(s + AbiV1.Schema.FORMAT, strAt);
      strAt = putCString(m, strAt, formats[i]);
      if (names[i] != null) {
        m.writeI32(s + AbiV1.Schema.NAME, strAt);
        strAt = putCString(m, strAt, names[i]);
      }
      if (metadata[i] != null) {
        m.write(metaAt, metadata[i], 0, metadata[i].length);
        m.writeI32(s + AbiV1.Schema.METADATA, metaAt);
        metaAt += (metadata[i].length + 7) & ~7;
      }
      long flags = 0;
      if (node.field != null) {
        if (node.field.isNullable()) {
          flags |= AbiV1.FLAG_NULLABLE;
        }
        if (node.field.getDictionary() != null && node.field.getDictionary().isOrdered()) {
          flags |= AbiV1.FLAG_DICTIONARY_ORDERED;
        }
        if (node.field.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Map map
            && map.getKeysSorted()) {
          flags |= AbiV1.FLAG_MAP_KEYS_SORTED;
        }
      }
      m.writeLong(s + AbiV1.Schema.FLAGS, flags);
      m.writeLong(s + AbiV1.Schema.N_CHILDREN, node.children.length);
      if (node.children.length > 0) {
        m.writeI32(s + AbiV1.Schema.CHILDREN, ptrAt);
        for (Node c : node.children) {
          m.writeI32(ptrAt, c.schema);
          ptrAt += 4;
        }
      }
      if (node.dictionary != null) {
        m.writeI32(s + AbiV1.Schema.DICTIONARY, node.dictionary.schema);
      }
    }
    return top.schema;
  }

  /** A field's metadata, with the extension keys when its type is an extension type. */
  private static Map<String, String> fieldMetadata(Field f) {
    return f.getMetadata();
  }

  private static int putCString(FlatMemory m, int at, byte[] s) {
    m.write(at, s, 0, s.length);
    m.writeByte(at + s.length, (byte) 0);
    return at + s.length + 1;
  }

  /**
   * One allocation for the array structs, their children pointer arrays and the buffer pointer
   * arrays of every node whose buffer count is fixed (views have their own, growing one).
   */
  private int allocArrayStructs() {
    int n = nodes.size();
    long size = (long) AbiV1.Array.SIZE * n;
    for (Node node : nodes) {
      size += 4L * node.children.length;
      if (node.format.kind() != Kind.VIEW) {
        size += 4L * node.bufs.length;
      }
    }
    int base = guest.alloc(Math.max(size, 1), AbiV1.Array.ALIGN);
    guest.memory().fill((byte) 0, base, (int) (base + size));
    int at = base + AbiV1.Array.SIZE * n;
    for (int i = 0; i < n; i++) {
      Node node = nodes.get(i);
      node.array = base + AbiV1.Array.SIZE * i;
      if (node.children.length > 0) {
        node.childrenPtr = at;
        at += 4 * node.children.length;
      }
      if (node.format.kind() != Kind.VIEW) {
        node.buffersPtr = node.bufs.length == 0 ? 0 : at;
        at += 4 * node.bufs.length;
      }
    }
    FlatMemory m = guest.memory();
    for (Node node : nodes) {
      for (int i = 0; i < node.children.length; i++) {
        m.writeI32(node.childrenPtr + 4 * i, node.children[i].array);
      }
    }
    return top.array;
  }

  // ---------------------------------------------------------------------------------------------
  // Batches
  // ---------------------------------------------------------------------------------------------

  /** Copies one batch into guest memory and rewrites the array structs. */
  public void write(VectorSchemaRoot root) {
    top.vector = null;
    top.length = root.getRowCount();
    top.nullCount = 0;
    List<FieldVector> columns = root.getFieldVectors();
    for (int i = 0; i < top.children.length; i++) {
      bind(top.children[i], columns.get(i));
    }
    // First make room (guest calls may grow memory and replace its array), then copy.
    for (int i = 1; i < nodes.size(); i++) {
      measure(nodes.get(i));
    }
    for (int i = 1; i < nodes.size(); i++) {
      reserve(nodes.get(i));
    }
    FlatMemory m = guest.memory();
    byte[] mem = m.array();
    for (int i = 1; i < nodes.size(); i++) {
      copy(m, mem, nodes.get(i));
    }
    writeArray(m, top, top.length, 0, 1, top.buffersPtr, 0);
    m.writeI32(top.buffersPtr, 0);
    // The children pointer arrays too (abi-v1.md 5.3): a guest may have written over them.
    for (Node node : nodes) {
      for (int i = 0; i < node.children.length; i++) {
        m.writeI32(node.childrenPtr + 4 * i, node.children[i].array);
      }
    }
  }

  /** Attaches this batch's vectors to a node and its descendants. */
  private void bind(Node node, FieldVector vector) {
    if (vector instanceof ExtensionTypeVector<?> ext) {
      vector = ext.getUnderlyingVector();
    }
    node.vector = vector;
    node.length = vector.getValueCount();
    if (node.children.length > 0) {
      List<FieldVector> children = vector.getChildrenFromFields();
      if (children.size() != node.children.length) {
        throw new WasmFlightException.BadRequest(
            node.path
                + " has "
                + children.size()
                + " child vectors for "
                + node.children.length
                + " child fields");
      }
      for (int i = 0; i < node.children.length; i++) {
        bind(node.children[i], children.get(i));
      }
    }
    if (node.dictionary != null) {
      Dictionary d = dictionaries.lookup(node.dictionaryId);
      if (d == null) {
        throw new WasmFlightException.BadRequest(
            node.path + ": the stream has no dictionary " + "with id " + node.dictionaryId);
      }
      bind(node.dictionary, d.getVector());
    }
  }

  /** Computes the bytes of every buffer of a node for this batch. */
  private void measure(Node node) {
    FieldVector v = node.vector;
    long len = node.length;
    CDataFormat f = node.format;
    node.nullCount =
        switch (f.kind()) {
          case NULL -> len;
          case SPARSE_UNION, DENSE_UNION, RUN_END -> 0;
          default -> v.getNullCount();
        };
    if (node.bufs.length == 0) {
      return;
    }
    List<ArrowBuf> javaBufs = v.getFieldBuffers();
    for (int b = 0; b < node.bufs.length; b++) {
      long bytes =
          switch (node.bufs[b]) {
            case VALIDITY -> node.nullCount > 0 ? (len + 7) >>> 3 : 0;
            case BITS -> (len + 7) >>> 3;
            case VALUES, VIEW_OFFSETS, VIEW_SIZES -> len * f.width();
            case OFFSETS -> (len + 1) * f.width();
            case DATA -> dataBytes(node, javaBufs.get(b - 1), javaBufs.get(b));
            case VIEWS -> len * CDataFormat.VIEW_SIZE;
            case TYPE_IDS -> len;
            case UNION_OFFSETS -> len * 4;
          };
      node.need[b] = bytes;
      long have = javaBufs.get(b).capacity();
      boolean emptyOffsets = node.bufs[b] == Buf.OFFSETS && len == 0;
      if (have < bytes && !emptyOffsets) {
        throw new WasmFlightException.BadRequest(
            node.path
                + ": its "
                + node.bufs[b]
                + " buffer holds "
                + have
                + " bytes, "
                + bytes
                + " needed for "
                + len
                + " values");
      }
    }
    if (f.kind() == Kind.VIEW) {
      measureVariadic(node, javaBufs);
    }
  }

  /** Bytes of a binary column's data buffer: its last offset (offsets start at 0 in Java). */
  private static long dataBytes(Node node, ArrowBuf offsets, ArrowBuf data) {
    long len = node.length;
    if (len == 0 || offsets.capacity() < (len + 1) * node.format.width()) {
      return 0;
    }
    long end = node.format.width() == 4 ? offsets.getInt(len * 4) : offsets.getLong(len * 8);
    if (end < 0 || end > data.capacity()) {
      throw new WasmFlightException.BadRequest(
          node.path
              + ": last offset "
              + end
              + " is outside its data buffer ("
              + data.capacity()
              + " bytes)");
    }
    return end;
  }

  /**
   * Views: the used bytes of each variadic buffer (the furthest byte a view references), which also
   * checks every view of the input against its buffer.
   */
  private static void measureVariadic(Node node, List<ArrowBuf> javaBufs) {
    int count = javaBufs.size() - 2;
    if (node.variadicNeed.length < count) {
      node.variadicNeed = new long[count];
    }
    node.variadicCount = count;
    java.util.Arrays.fill(node.variadicNeed, 0, count, 0);
    ArrowBuf views = javaBufs.get(1);
    ArrowBuf validity = javaBufs.get(0);
    boolean checkNulls = node.nullCount > 0;
    for (long i = 0; i < node.length; i++) {
      long at = i * CDataFormat.VIEW_SIZE;
      int size = views.getInt(at);
      if (size <= CDataFormat.VIEW_INLINE_MAX) {
        continue;
      }
      if (checkNulls && (validity.getByte(i >>> 3) & (1 << (i & 7))) == 0) {
        continue;
      }
      int index = views.getInt(at + 8);
      long offset = Integer.toUnsignedLong(views.getInt(at + 12));
      long end = offset + size;
      if (index < 0 || index >= count || end > javaBufs.get(2 + index).capacity()) {
        throw new WasmFlightException.BadRequest(
            node.path
                + ": the view at slot "
                + i
                + " references bytes "
                + offset
                + ".."
                + end
                + " of data buffer "
                + index
                + ", which does not exist or is shorter");
      }
      node.variadicNeed[index] = Math.max(node.variadicNeed[index], end);
    }
  }

  /** Makes room in guest memory for a node's buffers (guest calls: memory may grow). */
  private void reserve(Node node) {
    for (int b = 0; b < node.bufs.length; b++) {
      ensure(node.guestBufs[b], node.need[b]);
    }
    if (node.format.kind() == Kind.VIEW) {
      while (node.variadic.size() < node.variadicCount) {
        node.variadic.add(new GuestBuffer());
      }
      for (int i = 0; i < node.variadicCount; i++) {
        ensure(node.variadic.get(i), node.variadicNeed[i]);
      }
      ensure(node.viewPtrs, 4L * (3 + node.variadicCount));
      ensure(node.viewSizes, 8L * node.variadicCount);
    }
  }

  /** Copies a node's buffers into its guest allocations and writes its ArrowArray. */
  private void copy(FlatMemory m, byte[] mem, Node node) {
    CDataFormat f = node.format;
    int nBuffers = node.bufs.length;
    int ptrs = node.buffersPtr;
    List<ArrowBuf> javaBufs = nBuffers == 0 ? List.of() : node.vector.getFieldBuffers();
    if (f.kind() == Kind.VIEW) {
      nBuffers = 3 + node.variadicCount;
      ptrs = node.viewPtrs.ptr;
    }
    for (int b = 0; b < node.bufs.length; b++) {
      int to = node.guestBufs[b].ptr;
      long bytes = node.need[b];
      if (node.bufs[b] == Buf.VALIDITY && bytes == 0) {
        to = 0;
      } else if (node.bufs[b] == Buf.OFFSETS && node.length == 0) {
        // An empty Arrow Java vector may have no offsets buffer: C Data needs one 0 offset.
        if (f.width() == 4) {
          m.writeI32(to, 0);
        } else {
          m.writeLong(to, 0);
        }
      } else if (bytes > 0) {
        javaBufs.get(b).getBytes(0, mem, to, (int) bytes);
      }
      m.writeI32(ptrs + 4 * b, to);
    }
    if (f.kind() == Kind.VIEW) {
      int sizes = node.viewSizes.ptr;
      for (int i = 0; i < node.variadicCount; i++) {
        GuestBuffer g = node.variadic.get(i);
        long bytes = node.variadicNeed[i];
        if (bytes > 0) {
          javaBufs.get(2 + i).getBytes(0, mem, g.ptr, (int) bytes);
        }
        m.writeI32(ptrs + 4 * (2 + i), g.ptr);
        m.writeLong(sizes + 8 * i, bytes);
      }
      m.writeI32(ptrs + 4 * (2 + node.variadicCount), sizes);
    }
    writeArray(
        m,
        node,
        node.length,
        node.nullCount,
        nBuffers,
        ptrs,
        node.dictionary == null ? 0 : node.dictionary.array);
  }

  private static void writeArray(
      FlatMemory m,
      Node node,
      long length,
      long nullCount,
      int nBuffers,
      int buffersPtr,
      int dictionary) {
    int a = node.array;
    m.writeLong(a + AbiV1.Array.LENGTH, length);
    m.writeLong(a + AbiV1.Array.NULL_COUNT, nullCount);
    m.writeLong(a + AbiV1.Array.OFFSET, 0);
    m.writeLong(a + AbiV1.Array.N_BUFFERS, nBuffers);
    m.writeLong(a + AbiV1.Array.N_CHILDREN, node.children.length);
    m.writeI32(a + AbiV1.Array.BUFFERS, nBuffers == 0 ? 0 : buffersPtr);
    m.writeI32(a + AbiV1.Array.CHILDREN, node.childrenPtr);
    m.writeI32(a + AbiV1.Array.DICTIONARY, dictionary);
    m.writeI32(a + AbiV1.Array.RELEASE, 0);
    m.writeI32(a + AbiV1.Array.PRIVATE_DATA, 0);
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
