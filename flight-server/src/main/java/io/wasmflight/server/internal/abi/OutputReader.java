package io.wasmflight.server.internal.abi;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.CDataFormat.Buf;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads the guest's output batch (abi-v1.md 5.4, types.md) into a {@link VectorSchemaRoot},
 * validating every pointer, length, offset, type id, view, index and run end first: nothing is
 * allocated from a size the guest claims until the whole batch (dictionaries included) has been
 * checked against guest memory and the output limit.
 *
 * <p>The C Data may have non-zero offsets at every level and unknown null counts; Arrow Java
 * vectors have neither, so the copy normalizes: bitmaps are shifted, offsets rebased, children
 * sliced to the range their parent uses. One copy per buffer wherever the layout allows it.
 *
 * <p>One reader per session. The root it fills is created on the first batch and reused for
 * every later batch, as are the Arrow buffers behind it (they grow when needed); all of it is
 * closed with the reader. Dictionaries are numbered 0, 1, … in depth-first post-order and are
 * sent once per stream (Arrow Java's Flight writer cannot replace them), so every batch must
 * carry the same dictionary values as the first.
 */
public final class OutputReader implements AutoCloseable {
  private static final int MAX_FORMAT_BYTES = 1024;
  private static final int MAX_NAME_BYTES = 4096;

  private final GuestInstance guest;
  private final BufferAllocator allocator;
  private final long maxOutputBytes;
  private final Schema declared;
  private final DictionaryProvider.MapDictionaryProvider dictionaries =
      new DictionaryProvider.MapDictionaryProvider();
  private VectorSchemaRoot root;
  /** The batch struct; its children are the columns. Built with the root. */
  private Node top;
  /** Every dictionary-encoded node, in id order. */
  private final List<Node> encoded = new ArrayList<>();
  /** Per dictionary id: a vector the later batches' dictionaries are read into and compared. */
  private final List<FieldVector> scratch = new ArrayList<>();
  private boolean hasDenseUnion;
  private long batches;

  // Per read: schema parsing state and cycle detection.
  private int schemaNodes;
  private long nextDictionaryId;
  private final int[] ancestors = new int[AbiV1.MAX_DEPTH + 2];

  /** One array of the tree: a column, a child or a dictionary's values. */
  private static final class Node {
    final CDataFormat format;
    final Field field;
    final String path;
    final Node[] children;
    final Node dictionary;
    final long dictionaryId;
    final Buf[] bufs;
    /** Reader-owned Arrow buffers, reused across batches. */
    final ArrowBuf[] owned;
    List<ArrowBuf> ownedVariadic;
    // Per batch, from validation.
    int array;
    long start; // physical first slot (offset included)
    long length; // slots taken
    long nulls; // nulls among them
    final int[] ptr;
    long first; // offsets (binary, list): first and last offset of the range
    long last;
    int nVariadic;
    int[] variadicPtr = new int[0];
    long[] variadicSize = new long[0];
    long runBase; // run-end encoded: logical first slot, subtracted from the run ends
    FieldVector vector;

    Node(CDataFormat format, Field field, String path, Node[] children, Node dictionary,
        long dictionaryId) {
      this.format = format;
      this.field = field;
      this.path = path;
      this.children = children;
      this.dictionary = dictionary;
      this.dictionaryId = dictionaryId;
      this.bufs = format.buffers();
      this.owned = new ArrowBuf[bufs.length];
      this.ptr = new int[bufs.length];
    }
  }

  /** The parsed output schema of one batch, before it becomes (or is compared with) the tree. */
  private static final class Parsed {
    CDataFormat format;
    Field field;
    String path;
    Parsed[] children;
    Parsed dictionary;
    long dictionaryId = -1;
    Field dictionaryField;
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
   * The dictionaries of the output's dictionary-encoded fields (ids as in the root's schema),
   * fixed after the first batch.
   */
  public DictionaryProvider dictionaries() {
    return dictionaries;
  }

  /**
   * Validates and copies the output in the two slots. On success the root holds {@code rows}
   * rows (or, with {@code rows} -1, as many as the guest gave); the caller then releases the
   * guest's output with {@code wf_release}.
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
      throw violation("output schema format is '" + topFormat
          + "', expected '+s' (a struct batch)");
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
    if (rows < 0) {
      if (length < 0 || length > Integer.MAX_VALUE) {
        throw violation("output length " + length + " is out of range");
      }
      rows = length;
    } else if (length != rows) {
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
    if (m.readInt(arrayPtr + AbiV1.Array.DICTIONARY) != 0
        || m.readInt(schemaPtr + AbiV1.Schema.DICTIONARY) != 0) {
      throw violation("the output struct batch has a dictionary");
    }
    int schemaChildren = m.readInt(schemaPtr + AbiV1.Schema.CHILDREN);
    int arrayChildren = m.readInt(arrayPtr + AbiV1.Array.CHILDREN);
    if (n > 0) {
      requireRange(m, schemaChildren, 4L * n, "output schema children");
      requireRange(m, arrayChildren, 4L * n, "output array children");
    }
    Map<String, String> schemaMetadata = metadata(m, schemaPtr, "output schema");

    // 1. The schema: parsed every batch, fixed after the first.
    schemaNodes = 0;
    nextDictionaryId = 0;
    ancestors[0] = schemaPtr;
    Parsed[] columns = new Parsed[n];
    List<Field> fields = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int s = m.readInt(schemaChildren + 4 * i);
      columns[i] = parse(m, s, "output column " + i, COLUMN, i, 1);
      fields.add(columns[i].field);
    }
    Schema schema = new Schema(fields, schemaMetadata);
    if (declared != null && !sameFields(declared, schema)) {
      throw violation("output schema " + schema + " differs from the declared " + declared);
    }
    if (root == null) {
      build(columns, schema);
    } else if (!root.getSchema().equals(schema)) {
      throw violation("output schema changed between batches: was " + root.getSchema()
          + ", now " + schema);
    }

    // 2. The arrays: everything validated and measured before anything is allocated.
    ancestors[0] = arrayPtr;
    long total = 0;
    for (int i = 0; i < n; i++) {
      total += validate(m, top.children[i], m.readInt(arrayChildren + 4 * i), offset, rows, 1);
      checkLimit(total);
    }

    // 3. Copy and load.
    byte[] mem = m.array();
    List<FieldVector> vectors = root.getFieldVectors();
    for (int i = 0; i < n; i++) {
      copy(mem, top.children[i]);
      load(top.children[i], vectors.get(i));
    }
    loadDictionaries(mem);
    root.setRowCount((int) rows);
    if (hasDenseUnion) {
      // setRowCount recomputes dense union children's lengths from their type ids; put back the
      // lengths the guest gave (its offsets may address any child slot).
      for (int i = 0; i < n; i++) {
        load(top.children[i], vectors.get(i));
      }
    }
    batches++;
    return root;
  }

  private void checkLimit(long total) {
    if (total > maxOutputBytes) {
      throw new WasmFlightException.LimitExceeded("output batch needs more than "
          + maxOutputBytes + " bytes (the per-batch output limit)");
    }
  }

  /** Declared outputs are compared by name, type and nullability (metadata may be added). */
  private static boolean sameFields(Schema declared, Schema actual) {
    List<Field> a = declared.getFields();
    List<Field> b = actual.getFields();
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Field x = a.get(i);
      Field y = b.get(i);
      if (!x.getName().equals(y.getName()) || !x.getType().equals(y.getType())
          || x.isNullable() != y.isNullable() || y.getDictionary() != null
          || !y.getChildren().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Schema
  // ---------------------------------------------------------------------------------------------

  private static final int COLUMN = 0;
  private static final int LIST_CHILD = 1;
  private static final int CHILD = 2;
  private static final int DICTIONARY = 3;

  /**
   * Parses one ArrowSchema (and its children and dictionary).
   *
   * @param parent the parent's path, or for a column "output column i"
   * @param role how this schema hangs off its parent (names its path)
   */
  private Parsed parse(FlatMemory m, int s, String parent, int role, int index, int depth) {
    String where = switch (role) {
      case COLUMN -> parent;
      case DICTIONARY -> parent + " dictionary";
      default -> parent + " child " + index;
    };
    if (depth > AbiV1.MAX_DEPTH) {
      throw violation(where + " is nested deeper than " + AbiV1.MAX_DEPTH + " levels");
    }
    if (++schemaNodes > AbiV1.MAX_NODES) {
      throw violation("the output schema has more than " + AbiV1.MAX_NODES + " nodes");
    }
    requireRange(m, s, AbiV1.Schema.SIZE, "output schema of " + where);
    for (int d = 0; d < depth; d++) {
      if (ancestors[d] == s) {
        throw violation("the output schema of " + where + " points back to an ancestor "
            + "(a pointer cycle)");
      }
    }
    ancestors[depth] = s;
    String format = cString(m, m.readInt(s + AbiV1.Schema.FORMAT), MAX_FORMAT_BYTES,
        "format of " + where);
    int namePtr = m.readInt(s + AbiV1.Schema.NAME);
    String name = namePtr == 0 ? "" : cString(m, namePtr, MAX_NAME_BYTES, "name of " + where);
    String path = switch (role) {
      case COLUMN -> parent + " ('" + name + "')";
      case LIST_CHILD -> parent + "[" + name + "]";
      case CHILD -> parent + "." + name;
      default -> where;
    };
    long flags = m.readLong(s + AbiV1.Schema.FLAGS);
    CDataFormat f;
    try {
      f = CDataFormat.parse(format, flags);
    } catch (CDataFormat.UnsupportedFormat e) {
      throw violation(path + " has format '" + format + "', which ABI " + AbiV1.MAJOR + "."
          + AbiV1.MINOR + " does not carry: " + e.getMessage());
    }
    Map<String, String> metadata = metadata(m, s, path);
    boolean nullable = (flags & AbiV1.FLAG_NULLABLE) != 0;
    long nChildren = m.readLong(s + AbiV1.Schema.N_CHILDREN);
    if (nChildren < 0 || nChildren > AbiV1.MAX_CHILDREN) {
      throw violation(path + ": schema n_children " + nChildren + " is out of range (0.."
          + AbiV1.MAX_CHILDREN + ")");
    }
    int want = f.childCount();
    if (f.kind() == Kind.SPARSE_UNION || f.kind() == Kind.DENSE_UNION) {
      want = f.typeIds().length;
    }
    if (want >= 0 && nChildren != want) {
      throw violation(path + ": format '" + format + "' needs " + want + " children, the "
          + "schema declares " + nChildren);
    }
    Parsed p = new Parsed();
    p.format = f;
    p.path = path;
    p.children = new Parsed[(int) nChildren];
    List<Field> childFields = new ArrayList<>((int) nChildren);
    if (nChildren > 0) {
      int children = m.readInt(s + AbiV1.Schema.CHILDREN);
      requireRange(m, children, 4 * nChildren, path + " schema children");
      boolean listLike = f.kind() == Kind.LIST || f.kind() == Kind.FIXED_LIST
          || f.kind() == Kind.LIST_VIEW;
      Set<String> names = new HashSet<>();
      for (int i = 0; i < nChildren; i++) {
        Parsed c = parse(m, m.readInt(children + 4 * i), path, listLike ? LIST_CHILD : CHILD,
            i, depth + 1);
        p.children[i] = c;
        childFields.add(c.field);
        if (!names.add(c.field.getName()) && !listLike) {
          throw violation(path + " has two children named '" + c.field.getName()
              + "', which Arrow Java cannot hold");
        }
      }
    }
    checkChildren(p);
    int dict = m.readInt(s + AbiV1.Schema.DICTIONARY);
    if (dict != 0) {
      if (!f.isDictionaryIndex()) {
        throw violation(path + " has a dictionary but its format '" + format + "' is not an "
            + "integer index type");
      }
      Parsed values = parse(m, dict, path, DICTIONARY, 0, depth + 1);
      Parsed union = findUnion(values);
      if (union != null) {
        throw violation(union.path + " is a union inside a dictionary's values, which Arrow "
            + "Java's Flight writer cannot send (it rewrites the union's type ids)");
      }
      p.dictionary = values;
      p.dictionaryId = nextDictionaryId++;
      DictionaryEncoding encoding = new DictionaryEncoding(p.dictionaryId,
          (flags & AbiV1.FLAG_DICTIONARY_ORDERED) != 0, (ArrowType.Int) f.type());
      p.field = new Field(name, new FieldType(nullable, f.type(), encoding, metadata), null);
      p.dictionaryField = new Field("DICT" + p.dictionaryId,
          new FieldType(nullable, values.field.getType(), null, null),
          values.field.getChildren());
    } else {
      p.field = new Field(name, new FieldType(nullable, withExtension(f.type(), metadata),
          null, metadata), childFields);
    }
    return p;
  }

  private static Parsed findUnion(Parsed p) {
    if (p.format.kind() == Kind.SPARSE_UNION || p.format.kind() == Kind.DENSE_UNION) {
      return p;
    }
    for (Parsed c : p.children) {
      Parsed u = findUnion(c);
      if (u != null) {
        return u;
      }
    }
    return null;
  }

  /** Layout rules on children that Arrow Java (and the Arrow spec) put on some types. */
  private static void checkChildren(Parsed p) {
    switch (p.format.kind()) {
      case LIST -> {
        if (p.format.type() instanceof ArrowType.Map) {
          Parsed entries = p.children[0];
          if (entries.format.kind() != Kind.STRUCT || entries.children.length != 2) {
            throw violation(p.path + ": a map's child must be a struct of two fields (key, "
                + "value), got format '" + entries.format + "' with " + entries.children.length
                + " children");
          }
          if (entries.field.isNullable() || entries.children[0].field.isNullable()) {
            throw violation(p.path + ": a map's entries struct and its key field must not be "
                + "nullable (clear ARROW_FLAG_NULLABLE; Arrow Java refuses nullable ones)");
          }
        }
      }
      case RUN_END -> {
        Parsed runEnds = p.children[0];
        String f = runEnds.format.format();
        if (!f.equals("s") && !f.equals("i") && !f.equals("l") || runEnds.dictionary != null) {
          throw violation(p.path + ": run ends must be int16, int32 or int64 (format s, i or "
              + "l), got '" + f + "'");
        }
      }
      default -> { }
    }
  }

  private static ArrowType withExtension(ArrowType storage, Map<String, String> metadata) {
    if (metadata == null) {
      return storage;
    }
    String name = metadata.get(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_NAME);
    if (name == null) {
      return storage;
    }
    ArrowType.ExtensionType ext = ExtensionTypeRegistry.lookup(name);
    if (ext == null) {
      return storage;
    }
    try {
      return ext.deserialize(storage,
          metadata.getOrDefault(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, ""));
    } catch (RuntimeException e) {
      return storage;
    }
  }

  private static Map<String, String> metadata(FlatMemory m, int schema, String where) {
    try {
      return CDataMetadata.decode(m, m.readInt(schema + AbiV1.Schema.METADATA));
    } catch (IllegalArgumentException e) {
      throw violation(where + ": " + e.getMessage());
    }
  }

  /** Builds the node tree, the root and the dictionary vectors from the first batch's schema. */
  private void build(Parsed[] columns, Schema schema) {
    // Later batches must have this schema, so checking the first batch checks them all.
    Map<String, Integer> names = new java.util.HashMap<>();
    for (int i = 0; i < columns.length; i++) {
      Integer first = names.putIfAbsent(columns[i].field.getName(), i);
      if (first != null) {
        throw violation("output columns " + first + " and " + i + " are both named '"
            + columns[i].field.getName() + "'; column names must be unique");
      }
    }
    Node[] children = new Node[columns.length];
    for (int i = 0; i < columns.length; i++) {
      children[i] = node(columns[i]);
    }
    top = new Node(CDataFormat.parse("+s", 0), null, "output batch", children, null, -1);
    encoded.sort((a, b) -> Long.compare(a.dictionaryId, b.dictionaryId));
    for (Node e : encoded) {
      Field df = fieldOf(e);
      FieldVector vector = create(df, e.path + " dictionary");
      dictionaries.put(new Dictionary(vector, e.field.getDictionary()));
      scratch.add(null);
    }
    List<FieldVector> vectors = new ArrayList<>();
    try {
      for (int i = 0; i < columns.length; i++) {
        vectors.add(create(schema.getFields().get(i), columns[i].path));
      }
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      throw e;
    }
    root = new VectorSchemaRoot(schema, vectors, 0);
  }

  /** A vector for a field, or a clear error where Arrow Java cannot build one. */
  private FieldVector create(Field field, String path) {
    try {
      return field.createVector(allocator);
    } catch (RuntimeException e) {
      throw violation(path + " has type " + field + ", which Arrow Java cannot hold ("
          + e.getMessage() + ")");
    }
  }

  private final java.util.IdentityHashMap<Node, Field> dictionaryFields =
      new java.util.IdentityHashMap<>();

  private Field fieldOf(Node encodedNode) {
    return dictionaryFields.get(encodedNode);
  }

  private Node node(Parsed p) {
    Node[] children = new Node[p.children.length];
    for (int i = 0; i < children.length; i++) {
      children[i] = node(p.children[i]);
    }
    Node dictionary = p.dictionary == null ? null : node(p.dictionary);
    Node n = new Node(p.format, p.field, p.path, children, dictionary, p.dictionaryId);
    if (p.format.kind() == Kind.DENSE_UNION) {
      hasDenseUnion = true;
    }
    if (dictionary != null) {
      encoded.add(n);
      dictionaryFields.put(n, p.dictionaryField);
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation: reads guest memory only, allocates nothing from guest sizes
  // ---------------------------------------------------------------------------------------------

  /**
   * Validates the array at {@code a} for the slots {@code [s, s + count)} of its logical range
   * (its own offset not included), or for its whole range when {@code count < 0}. Records what
   * the copy needs in the node; returns the bytes the copy will take.
   */
  private long validate(FlatMemory m, Node node, int a, long s, long count, int depth) {
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
        throw violation(col + ": length " + length + " is shorter than the batch (slots " + s
            + " + " + count + ")");
      }
      throw violation(col + ": length " + length + " is shorter than the batch ("
          + (s + count) + " slots" + (s > 0 ? ", from slot " + s + " on" : "") + ")");
    }
    boolean whole = s == 0 && count == length;
    int expectBuffers = f.bufferCount();
    if (f.kind() == Kind.VIEW ? nBuffers < expectBuffers || nBuffers > AbiV1.MAX_CHILDREN + 3
        : nBuffers != expectBuffers) {
      throw violation(col + ": n_buffers is " + nBuffers + ", format '" + f + "' needs "
          + (f.kind() == Kind.VIEW ? "at least " : "") + expectBuffers);
    }
    if (nChildren != node.children.length) {
      throw violation(col + ": n_children " + (node.children.length == 0 ? "must be 0"
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
      throw violation(col + (dict != 0 ? ": the array has a dictionary the schema does not declare"
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
          throw violation(col + ": null_count is " + nullCount + " but the validity bitmap "
              + "has " + node.nulls + " nulls");
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
        bytes += validate(m, node.children[0], m.readInt(childrenPtr), node.first,
            node.last - node.first, depth + 1);
        if (f.type() instanceof ArrowType.Map) {
          Node key = node.children[0].children[0];
          if (key.nulls > 0) {
            throw violation(key.path + ": a map key is null");
          }
        }
      }
      case FIXED_LIST -> bytes += validate(m, node.children[0], m.readInt(childrenPtr),
          p * f.width(), count * f.width(), depth + 1);
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
          bytes += validate(m, node.children[i], m.readInt(childrenPtr + 4 * i), p, count,
              depth + 1);
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
          bytes += validate(m, node.children[i], m.readInt(childrenPtr + 4 * i), 0, -1,
              depth + 1);
          lengths[i] = node.children[i].length;
          checkLimit(bytes);
        }
        checkTypeIds(m, node, p, count, lengths);
      }
      case RUN_END -> bytes += validateRunEnds(m, node, childrenPtr, p, count, offset + length,
          depth);
    }
    return bytes;
  }

  private static void checkNullCount(Node node, long nullCount, long length) {
    String col = node.path;
    switch (node.format.kind()) {
      case NULL -> {
        if (nullCount != -1 && nullCount != length) {
          throw violation(col + ": null_count is " + nullCount + "; a null array has "
              + "null_count = length (" + length + ") or -1");
        }
      }
      case SPARSE_UNION, DENSE_UNION, RUN_END -> {
        if (nullCount != 0 && nullCount != -1) {
          throw violation(col + ": null_count is " + nullCount + "; format '" + node.format
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
  private static void readOffsets(FlatMemory m, Node node, long p, long count) {
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
          throw violation(col + ": offsets decrease at slot " + (p + r) + " (" + prev + " -> "
              + next + ")");
        }
        prev = next;
      }
    } else {
      for (int r = 1; r <= count; r++) {
        long next = m.readLong(base + 8 * r);
        if (next < prev) {
          throw violation(col + ": offsets decrease at slot " + (p + r) + " (" + prev + " -> "
              + next + ")");
        }
        prev = next;
      }
    }
    node.last = prev;
  }

  private static final java.lang.invoke.VarHandle INT =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class,
          java.nio.ByteOrder.LITTLE_ENDIAN);

  private long validateViews(FlatMemory m, Node node, int buffers, int nBuffers, long p,
      long count) {
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
      if (index < 0 || index >= nVariadic || off < 0
          || (long) off + len > node.variadicSize[index]) {
        throw violation(col + ": the view at slot " + slot + " (buffer " + index + ", offset "
            + off + ", length " + len + ") is outside its variadic buffer"
            + (index >= 0 && index < nVariadic ? " (" + node.variadicSize[index] + " bytes)"
                : " (there are " + nVariadic + ")"));
      }
    }
    return bytes;
  }

  private static void checkListViews(FlatMemory m, Node node, long p, long count, long child) {
    String col = node.path;
    int w = node.format.width();
    requireBuffer(m, node.ptr[1], (p + count) * w, col + " offsets");
    requireBuffer(m, node.ptr[2], (p + count) * w, col + " sizes");
    for (long r = 0; r < count; r++) {
      long slot = p + r;
      long off = w == 4 ? m.readInt(node.ptr[1] + (int) (slot * 4))
          : m.readLong(node.ptr[1] + (int) (slot * 8));
      long size = w == 4 ? m.readInt(node.ptr[2] + (int) (slot * 4))
          : m.readLong(node.ptr[2] + (int) (slot * 8));
      if (off < 0 || size < 0 || off > child || size > child - off) {
        throw violation(col + ": list view slot " + slot + " (offset " + off + ", size " + size
            + ") is outside its child (" + child + " values)");
      }
    }
  }

  /** Union type ids declared, and (dense) offsets inside the selected child. */
  private static void checkTypeIds(FlatMemory m, Node node, long p, long count, long[] lengths) {
    byte[] mem = m.array();
    int ids = node.ptr[0];
    int[] childOf = new int[128];
    Arrays.fill(childOf, -1);
    int[] declaredIds = node.format.typeIds();
    for (int i = 0; i < declaredIds.length; i++) {
      childOf[declaredIds[i]] = i;
    }
    for (long r = 0; r < count; r++) {
      long slot = p + r;
      int id = mem[ids + (int) slot];
      int child = id < 0 ? -1 : childOf[id];
      if (child < 0) {
        throw violation(node.path + ": type id " + id + " at slot " + slot + " is not one of "
            + "the format's type ids " + Arrays.toString(declaredIds));
      }
      if (lengths != null) {
        int off = m.readInt(node.ptr[1] + (int) (slot * 4));
        if (off < 0 || off >= lengths[child]) {
          throw violation(node.path + ": union offset " + off + " at slot " + slot
              + " is outside child " + child + " (" + lengths[child] + " values)");
        }
      }
    }
  }

  /** Dictionary indices of valid slots inside the dictionary. */
  private static void checkIndices(FlatMemory m, Node node, long dictionaryLength) {
    byte[] mem = m.array();
    int w = node.format.width();
    boolean signed = ((ArrowType.Int) node.format.type()).getIsSigned();
    int validity = node.ptr[0];
    int values = node.ptr[1];
    for (long r = 0; r < node.length; r++) {
      long slot = node.start + r;
      if (validity != 0 && !bit(mem, validity, slot)) {
        continue;
      }
      int at = values + (int) (slot * w);
      long index = switch (w) {
        case 1 -> signed ? mem[at] : mem[at] & 0xFFL;
        case 2 -> signed ? m.readShort(at) : m.readShort(at) & 0xFFFFL;
        case 4 -> signed ? m.readInt(at) : m.readInt(at) & 0xFFFF_FFFFL;
        default -> m.readLong(at);
      };
      if (index < 0 || index >= dictionaryLength) {
        throw violation(node.path + ": dictionary index "
            + (w == 8 && !signed ? Long.toUnsignedString(index) : Long.toString(index))
            + " at slot " + slot + " is outside the dictionary (" + dictionaryLength
            + " values)");
      }
    }
  }

  /**
   * Run-end encoded: run ends strictly increasing and positive, the last one covering the
   * array; the copy takes the runs that overlap the slots used, with the run ends rebased.
   */
  private long validateRunEnds(FlatMemory m, Node node, int childrenPtr, long p, long count,
      long arrayEnd, int depth) {
    Node runEnds = node.children[0];
    Node values = node.children[1];
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
        throw violation(runEnds.path + ": run end " + e + " at run " + j + " is not greater "
            + "than the previous one (" + prev + ")");
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
      throw violation(runEnds.path + ": the last run end (" + prev + ") is before the end of "
          + "the array (" + arrayEnd + ")");
    }
    long taken = count == 0 ? 0 : j1 - j0 + 1;
    long first = count == 0 ? 0 : j0;
    bytes += validate(m, values, m.readInt(childrenPtr + 4), 0, -1, depth + 1);
    if (values.length != runs) {
      throw violation(values.path + ": " + values.length + " values for " + runs + " runs "
          + "(they must be equal)");
    }
    // Take only the runs in use: validate values again for exactly that range.
    bytes += validate(m, values, m.readInt(childrenPtr + 4), first, taken, depth + 1);
    runEnds.start += first;
    runEnds.length = taken;
    node.runBase = p;
    return bytes;
  }

  private static long readIndex(FlatMemory m, int ptr, long slot, int w) {
    int at = ptr + (int) (slot * w);
    return switch (w) {
      case 2 -> m.readShort(at);
      case 4 -> m.readInt(at);
      default -> m.readLong(at);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Copy into reader-owned Arrow buffers, then load the vectors
  // ---------------------------------------------------------------------------------------------

  /** Copies a validated node (and its subtree) into its owned buffers. */
  private void copy(byte[] mem, Node node) {
    CDataFormat f = node.format;
    int n = (int) node.length;
    long p = node.start;
    for (int b = 0; b < node.bufs.length; b++) {
      int src = node.ptr[b];
      switch (node.bufs[b]) {
        case VALIDITY -> {
          ArrowBuf to = own(node, b, (n + 7) >>> 3);
          if (node.nulls == 0) {
            setOnes(to, n);
          } else {
            copyBits(mem, src, p, n, to);
          }
        }
        case BITS -> copyBits(mem, src, p, n, own(node, b, (n + 7) >>> 3));
        case VALUES, VIEWS, VIEW_OFFSETS, VIEW_SIZES -> {
          long w = f.kind() == Kind.VIEW ? CDataFormat.VIEW_SIZE : f.width();
          own(node, b, n * w).setBytes(0, mem, src + (int) (p * w), n * w);
        }
        case TYPE_IDS -> own(node, b, n).setBytes(0, mem, src + (int) p, n);
        case UNION_OFFSETS -> own(node, b, 4L * n).setBytes(0, mem, src + (int) (p * 4), 4L * n);
        case OFFSETS -> copyOffsets(mem, node, src, own(node, b, (n + 1L) * f.width()));
        case DATA -> own(node, b, node.last - node.first)
            .setBytes(0, mem, src + (int) node.first, node.last - node.first);
      }
    }
    if (f.kind() == Kind.VIEW) {
      if (node.ownedVariadic == null) {
        node.ownedVariadic = new ArrayList<>();
      }
      for (int i = 0; i < node.nVariadic; i++) {
        if (node.ownedVariadic.size() <= i) {
          node.ownedVariadic.add(null);
        }
        long size = node.variadicSize[i];
        ArrowBuf to = node.ownedVariadic.get(i);
        if (to == null || to.capacity() < size) {
          if (to != null) {
            to.close();
          }
          to = allocator.buffer(Math.max(size, 8));
          node.ownedVariadic.set(i, to);
        }
        to.setBytes(0, mem, node.variadicPtr[i], size);
      }
    }
    for (Node c : node.children) {
      copy(mem, c);
    }
    if (f.kind() == Kind.RUN_END) {
      rebaseRunEnds(node);
    }
    if (node.dictionary != null && batches == 0) {
      copy(mem, node.dictionary);
    }
  }

  /** Run ends relative to the first slot taken, the last one clamped to the length. */
  private static void rebaseRunEnds(Node node) {
    Node runEnds = node.children[0];
    ArrowBuf buf = runEnds.owned[1];
    int w = runEnds.format.width();
    long n = node.length;
    for (long k = 0; k < runEnds.length; k++) {
      long at = k * w;
      long e = switch (w) {
        case 2 -> buf.getShort(at);
        case 4 -> buf.getInt(at);
        default -> buf.getLong(at);
      };
      e = Math.min(e - node.runBase, n);
      switch (w) {
        case 2 -> buf.setShort(at, (short) e);
        case 4 -> buf.setInt(at, (int) e);
        default -> buf.setLong(at, e);
      }
    }
  }

  private static void copyOffsets(byte[] mem, Node node, int src, ArrowBuf to) {
    int w = node.format.width();
    int n = (int) node.length;
    int from = src + (int) (node.start * w);
    to.setBytes(0, mem, from, (n + 1L) * w);
    if (node.first != 0) {
      if (w == 4) {
        int first = (int) node.first;
        for (int r = 0; r <= n; r++) {
          to.setInt(4L * r, to.getInt(4L * r) - first);
        }
      } else {
        for (int r = 0; r <= n; r++) {
          to.setLong(8L * r, to.getLong(8L * r) - node.first);
        }
      }
    }
  }

  /** A reader-owned buffer of at least {@code bytes}, its writer index set to exactly that. */
  private ArrowBuf own(Node node, int b, long bytes) {
    ArrowBuf buf = node.owned[b];
    if (buf == null || buf.capacity() < bytes) {
      long cap = Math.max(bytes, 8);
      if (buf != null) {
        cap = Math.max(cap, buf.capacity() + (buf.capacity() >>> 1));
        buf.close();
        node.owned[b] = null;
      }
      buf = allocator.buffer(cap);
      node.owned[b] = buf;
    }
    return buf;
  }

  /** Byte size of buffer {@code b} of a copied node (what the vector gets). */
  private static long size(Node node, int b) {
    long n = node.length;
    CDataFormat f = node.format;
    return switch (node.bufs[b]) {
      case VALIDITY, BITS -> (n + 7) >>> 3;
      case VALUES, VIEW_OFFSETS, VIEW_SIZES -> n * f.width();
      case VIEWS -> n * CDataFormat.VIEW_SIZE;
      case TYPE_IDS -> n;
      case UNION_OFFSETS -> 4 * n;
      case OFFSETS -> (n + 1) * f.width();
      case DATA -> node.last - node.first;
    };
  }

  /** Hands a node's copied buffers to its vector (and its children's to theirs). */
  private void load(Node node, FieldVector vector) {
    node.vector = vector;
    List<ArrowBuf> bufs = new ArrayList<>(node.bufs.length + node.nVariadic);
    for (int b = 0; b < node.bufs.length; b++) {
      bufs.add(slice(node.owned[b], size(node, b)));
    }
    if (node.format.kind() == Kind.VIEW) {
      for (int i = 0; i < node.nVariadic; i++) {
        bufs.add(slice(node.ownedVariadic.get(i), node.variadicSize[i]));
      }
    }
    vector.loadFieldBuffers(new ArrowFieldNode((int) node.length, (int) node.nulls), bufs);
    if (node.children.length > 0) {
      List<FieldVector> children = vector.getChildrenFromFields();
      for (int i = 0; i < node.children.length; i++) {
        load(node.children[i], children.get(i));
      }
    }
  }

  private ArrowBuf slice(ArrowBuf owned, long bytes) {
    if (owned == null || bytes == 0) {
      return allocator.getEmpty();
    }
    ArrowBuf s = owned.slice(0, bytes);
    s.readerIndex(0);
    s.writerIndex(bytes);
    return s;
  }

  /**
   * First batch: the dictionaries become the stream's. Later batches: each must equal the
   * first (Arrow Java's Flight writer sends dictionaries once, at the start of the stream).
   */
  private void loadDictionaries(byte[] mem) {
    for (int i = 0; i < encoded.size(); i++) {
      Node e = encoded.get(i);
      FieldVector sent = dictionaries.lookup(e.dictionaryId).getVector();
      if (batches == 0) {
        load(e.dictionary, sent);
        // The stream keeps these buffers: later batches copy into new ones.
        detach(e.dictionary);
        continue;
      }
      FieldVector now = scratch.get(i);
      if (now == null) {
        now = fieldOf(e).createVector(allocator);
        scratch.set(i, now);
      }
      copy(mem, e.dictionary);
      load(e.dictionary, now);
      if (!VectorEqualsVisitor.vectorEquals(sent, now)) {
        throw violation(e.path + ": the dictionary changed at batch " + batches + "; a stream "
            + "sends its dictionaries once (Arrow Java's Flight writer cannot replace them), so "
            + "every output batch must carry the dictionary of the first");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bits and bounds
  // ---------------------------------------------------------------------------------------------

  /** Bits [0, n) set, the rest of the last byte clear. */
  private static void setOnes(ArrowBuf to, int n) {
    int bytes = (n + 7) >>> 3;
    if (bytes == 0) {
      return;
    }
    to.setOne(0, bytes);
    int tail = n & 7;
    if (tail != 0) {
      to.setByte(bytes - 1, (1 << tail) - 1);
    }
  }

  private static boolean bit(byte[] mem, int bitmap, long i) {
    return (mem[bitmap + (int) (i >>> 3)] & (1 << (i & 7))) != 0;
  }

  /** Set bits among [start, start + count) of a bitmap (validated to be in memory). */
  static long countOnes(byte[] mem, int bitmap, long start, long count) {
    long ones = 0;
    long i = start;
    long end = start + count;
    while (i < end && (i & 7) != 0) {
      if (bit(mem, bitmap, i)) {
        ones++;
      }
      i++;
    }
    int at = bitmap + (int) (i >>> 3);
    while (i + 64 <= end) {
      ones += Long.bitCount((long) LONG.get(mem, at));
      at += 8;
      i += 64;
    }
    while (i + 8 <= end) {
      ones += Integer.bitCount(mem[at] & 0xFF);
      at++;
      i += 8;
    }
    while (i < end) {
      if (bit(mem, bitmap, i)) {
        ones++;
      }
      i++;
    }
    return ones;
  }

  private static final java.lang.invoke.VarHandle LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class,
          java.nio.ByteOrder.LITTLE_ENDIAN);

  /** Copies bits [start, start + rows) to bit 0 of {@code to}, clearing the bits past rows. */
  private static void copyBits(byte[] mem, int src, long start, int rows, ArrowBuf to) {
    int bytes = (rows + 7) >>> 3;
    if (bytes == 0) {
      return;
    }
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
    for (FieldVector v : scratch) {
      if (v != null) {
        v.close();
      }
    }
    scratch.clear();
    for (Long id : dictionaries.getDictionaryIds()) {
      dictionaries.lookup(id).getVector().close();
    }
    if (top != null) {
      release(top);
    }
  }

  /** Drops the reader's references to a subtree's buffers (the vectors keep theirs). */
  private static void detach(Node node) {
    closeOwned(node);
    for (Node c : node.children) {
      detach(c);
    }
  }

  /** Closes the buffers one node holds (not its children's). */
  private static void closeOwned(Node node) {
    for (int b = 0; b < node.owned.length; b++) {
      if (node.owned[b] != null) {
        node.owned[b].close();
        node.owned[b] = null;
      }
    }
    if (node.ownedVariadic != null) {
      for (ArrowBuf b : node.ownedVariadic) {
        if (b != null) {
          b.close();
        }
      }
      node.ownedVariadic = null;
    }
  }

  private static void release(Node node) {
    closeOwned(node);
    for (Node c : node.children) {
      release(c);
    }
    if (node.dictionary != null) {
      release(node.dictionary);
    }
  }
}
