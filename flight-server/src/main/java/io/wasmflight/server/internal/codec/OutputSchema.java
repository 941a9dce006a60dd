package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.cString;
import static io.wasmflight.server.internal.codec.OutputBounds.requireRange;
import static io.wasmflight.server.internal.codec.OutputBounds.violation;

import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import io.wasmflight.server.internal.guest.FlatMemory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Parses the guest's output ArrowSchema tree (abi-v1.md 5.4, types.md) into Arrow Java fields,
 * checking depth, node count, pointer cycles, formats, children and dictionaries on the way. The
 * first batch's schema is parsed; later batches are compared byte for byte with what that parse
 * read ({@link #sameAsParsed}) and parsed again only when they differ.
 */
final class OutputSchema {
  static final int MAX_FORMAT_BYTES = 1024;
  private static final int MAX_NAME_BYTES = 4096;

  private static final int COLUMN = 0;
  private static final int LIST_CHILD = 1;
  private static final int CHILD = 2;
  private static final int DICTIONARY = 3;

  // Per read: parsing state and cycle detection.
  private int schemaNodes;
  private long nextDictionaryId;
  private final int[] ancestors = new int[AbiV1.MAX_DEPTH + 2];

  /** The parsed output schema of one batch, before it becomes (or is compared with) the tree. */
  static final class Parsed {
    CDataFormat format;
    Field field;
    String path;
    Parsed[] children;
    Parsed dictionary;
    long dictionaryId = -1;
    Field dictionaryField;
    // What this node was parsed from, for the later batches' byte comparison (sameAsParsed).
    byte[] formatBytes;
    byte[] nameBytes; // null: the name pointer was null
    long flags;
    byte[] metadataBytes; // null: the metadata pointer was null
  }

  /**
   * True when the batch schema at {@code schemaPtr} is, byte for byte, the one {@code columns} were
   * parsed from: same formats, names, flags, metadata and tree shape (the pointers may differ).
   * Reads only what parsing read and allocates nothing, so a session parses its output schema once
   * and later batches only compare. False on any difference or on anything a full parse would
   * refuse, which then parses (and reports) as usual.
   */
  static boolean sameAsParsed(
      FlatMemory m, int schemaPtr, int schemaChildren, Parsed[] columns, byte[] topMetadata) {
    if (!sameMetadata(m, m.readInt(schemaPtr + AbiV1.Schema.METADATA), topMetadata)) {
      return false;
    }
    if (columns.length > 0 && !inside(m, schemaChildren, 4L * columns.length)) {
      return false;
    }
    for (int i = 0; i < columns.length; i++) {
      if (!same(m, m.readInt(schemaChildren + 4 * i), columns[i])) {
        return false;
      }
    }
    return true;
  }

  private static boolean same(FlatMemory m, int s, Parsed p) {
    if (!inside(m, s, AbiV1.Schema.SIZE)
        || !sameCString(m, m.readInt(s + AbiV1.Schema.FORMAT), p.formatBytes)
        || m.readLong(s + AbiV1.Schema.FLAGS) != p.flags
        || !sameMetadata(m, m.readInt(s + AbiV1.Schema.METADATA), p.metadataBytes)
        || m.readLong(s + AbiV1.Schema.N_CHILDREN) != p.children.length) {
      return false;
    }
    int namePtr = m.readInt(s + AbiV1.Schema.NAME);
    if (namePtr == 0 ? p.nameBytes != null : !sameCString(m, namePtr, p.nameBytes)) {
      return false;
    }
    if (p.children.length > 0) {
      int children = m.readInt(s + AbiV1.Schema.CHILDREN);
      if (!inside(m, children, 4L * p.children.length)) {
        return false;
      }
      for (int i = 0; i < p.children.length; i++) {
        if (!same(m, m.readInt(children + 4 * i), p.children[i])) {
          return false;
        }
      }
    }
    int dict = m.readInt(s + AbiV1.Schema.DICTIONARY);
    return p.dictionary == null ? dict == 0 : dict != 0 && same(m, dict, p.dictionary);
  }

  private static boolean inside(FlatMemory m, int ptr, long len) {
    long at = Integer.toUnsignedLong(ptr);
    return ptr != 0 && at + len <= m.array().length;
  }

  /** The NUL-terminated string at {@code ptr} is exactly {@code bytes}. */
  private static boolean sameCString(FlatMemory m, int ptr, byte[] bytes) {
    if (bytes == null || !inside(m, ptr, bytes.length + 1L)) {
      return false;
    }
    byte[] mem = m.array();
    return mem[ptr + bytes.length] == 0
        && Arrays.equals(mem, ptr, ptr + bytes.length, bytes, 0, bytes.length);
  }

  private static boolean sameMetadata(FlatMemory m, int ptr, byte[] raw) {
    if (ptr == 0 || raw == null) {
      return ptr == 0 && raw == null;
    }
    byte[] mem = m.array();
    return inside(m, ptr, raw.length)
        && Arrays.equals(mem, ptr, ptr + raw.length, raw, 0, raw.length);
  }

  /** The raw metadata of the schema at {@code schema}, after {@link #metadata} accepted it. */
  static byte[] rawMetadata(FlatMemory m, int schema) {
    return CDataMetadata.raw(m, m.readInt(schema + AbiV1.Schema.METADATA));
  }

  /** Parses the {@code n} column schemas the batch schema at {@code schemaPtr} points to. */
  Parsed[] columns(FlatMemory m, int schemaPtr, int schemaChildren, int n) {
    schemaNodes = 0;
    nextDictionaryId = 0;
    ancestors[0] = schemaPtr;
    Parsed[] columns = new Parsed[n];
    for (int i = 0; i < n; i++) {
      int s = m.readInt(schemaChildren + 4 * i);
      columns[i] = parse(m, s, "output column " + i, COLUMN, i, 1);
    }
    return columns;
  }

  /** Declared outputs are compared by name, type and nullability (metadata may be added). */
  static boolean sameFields(Schema declared, Schema actual) {
    List<Field> a = declared.getFields();
    List<Field> b = actual.getFields();
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Field x = a.get(i);
      Field y = b.get(i);
      if (!x.getName().equals(y.getName())
          || !x.getType().equals(y.getType())
          || x.isNullable() != y.isNullable()
          || y.getDictionary() != null
          || !y.getChildren().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** Whether only names or nullability differ: same count, types, no dictionary or children. */
  static boolean sameTypes(Schema declared, Schema actual) {
    List<Field> a = declared.getFields();
    List<Field> b = actual.getFields();
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Field y = b.get(i);
      if (!a.get(i).getType().equals(y.getType())
          || y.getDictionary() != null
          || !y.getChildren().isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** The guest's schema with the declared names and nullability (its metadata kept). */
  static Schema asDeclared(Schema declared, Schema actual) {
    List<Field> out = new ArrayList<>();
    for (int i = 0; i < declared.getFields().size(); i++) {
      Field d = declared.getFields().get(i);
      Field y = actual.getFields().get(i);
      out.add(
          new Field(
              d.getName(),
              new FieldType(d.isNullable(), y.getType(), null, y.getMetadata()),
              List.of()));
    }
    return new Schema(out, actual.getCustomMetadata());
  }

  /**
   * Parses one ArrowSchema (and its children and dictionary).
   *
   * @param parent the parent's path, or for a column "output column i"
   * @param role how this schema hangs off its parent (names its path)
   */
  private Parsed parse(FlatMemory m, int s, String parent, int role, int index, int depth) {
    String where =
        switch (role) {
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
        throw violation(
            "the output schema of " + where + " points back to an ancestor " + "(a pointer cycle)");
      }
    }
    ancestors[depth] = s;
    String format =
        cString(m, m.readInt(s + AbiV1.Schema.FORMAT), MAX_FORMAT_BYTES, "format of " + where);
    int namePtr = m.readInt(s + AbiV1.Schema.NAME);
    String name = namePtr == 0 ? "" : cString(m, namePtr, MAX_NAME_BYTES, "name of " + where);
    String path =
        switch (role) {
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
      throw violation(
          path
              + " has format '"
              + format
              + "', which ABI "
              + AbiV1.MAJOR
              + "."
              + AbiV1.MINOR
              + " does not carry: "
              + e.getMessage());
    }
    Map<String, String> metadata = metadata(m, s, path);
    boolean nullable = (flags & AbiV1.FLAG_NULLABLE) != 0;
    long nChildren = m.readLong(s + AbiV1.Schema.N_CHILDREN);
    if (nChildren < 0 || nChildren > AbiV1.MAX_CHILDREN) {
      throw violation(
          path
              + ": schema n_children "
              + nChildren
              + " is out of range (0.."
              + AbiV1.MAX_CHILDREN
              + ")");
    }
    int want = f.childCount();
    if (f.kind() == Kind.SPARSE_UNION || f.kind() == Kind.DENSE_UNION) {
      want = f.typeIds().length;
    }
    if (want >= 0 && nChildren != want) {
      throw violation(
          path
              + ": format '"
              + format
              + "' needs "
              + want
              + " children, the "
              + "schema declares "
              + nChildren);
    }
    Parsed p = new Parsed();
    p.format = f;
    p.formatBytes = format.getBytes(StandardCharsets.UTF_8);
    p.nameBytes = namePtr == 0 ? null : name.getBytes(StandardCharsets.UTF_8);
    p.flags = flags;
    p.metadataBytes = rawMetadata(m, s);
    p.path = path;
    p.children = new Parsed[(int) nChildren];
    List<Field> childFields = new ArrayList<>((int) nChildren);
    if (nChildren > 0) {
      int children = m.readInt(s + AbiV1.Schema.CHILDREN);
      requireRange(m, children, 4 * nChildren, path + " schema children");
      boolean listLike =
          f.kind() == Kind.LIST || f.kind() == Kind.FIXED_LIST || f.kind() == Kind.LIST_VIEW;
      Set<String> names = new HashSet<>();
      for (int i = 0; i < nChildren; i++) {
        Parsed c =
            parse(
                m, m.readInt(children + 4 * i), path, listLike ? LIST_CHILD : CHILD, i, depth + 1);
        p.children[i] = c;
        childFields.add(c.field);
        if (!names.add(c.field.getName()) && !listLike) {
          throw violation(
              path
                  + " has two children named '"
                  + c.field.getName()
                  + "', which Arrow Java cannot hold");
        }
      }
    }
    checkChildren(p);
    int dict = m.readInt(s + AbiV1.Schema.DICTIONARY);
    if (dict != 0) {
      if (!f.isDictionaryIndex()) {
        throw violation(
            path
                + " has a dictionary but its format '"
                + format
                + "' is not an "
                + "integer index type");
      }
      Parsed values = parse(m, dict, path, DICTIONARY, 0, depth + 1);
      Parsed union = findUnion(values);
      if (union != null) {
        throw violation(
            union.path
                + " is a union inside a dictionary's values, which Arrow "
                + "Java's Flight writer cannot send (it rewrites the union's type ids)");
      }
      p.dictionary = values;
      p.dictionaryId = nextDictionaryId++;
      DictionaryEncoding encoding =
          new DictionaryEncoding(
              p.dictionaryId,
              (flags & AbiV1.FLAG_DICTIONARY_ORDERED) != 0,
              (ArrowType.Int) f.type());
      p.field = new Field(name, new FieldType(nullable, f.type(), encoding, metadata), null);
      p.dictionaryField =
          new Field(
              "DICT" + p.dictionaryId,
              new FieldType(nullable, values.field.getType(), null, null),
              values.field.getChildren());
    } else {
      p.field =
          new Field(
              name,
              new FieldType(nullable, withExtension(f.type(), metadata), null, metadata),
              childFields);
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
            throw violation(
                p.path
                    + ": a map's child must be a struct of two fields (key, "
                    + "value), got format '"
                    + entries.format
                    + "' with "
                    + entries.children.length
                    + " children");
          }
          if (entries.field.isNullable() || entries.children[0].field.isNullable()) {
            throw violation(
                p.path
                    + ": a map's entries struct and its key field must not be "
                    + "nullable (clear ARROW_FLAG_NULLABLE; Arrow Java refuses nullable ones)");
          }
        }
      }
      case RUN_END -> {
        Parsed runEnds = p.children[0];
        String f = runEnds.format.format();
        if ((!f.equals("s") && !f.equals("i") && !f.equals("l")) || runEnds.dictionary != null) {
          throw violation(
              p.path
                  + ": run ends must be int16, int32 or int64 (format s, i or "
                  + "l), got '"
                  + f
                  + "'");
        }
      }
      default -> {}
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
      return ext.deserialize(
          storage,
          metadata.getOrDefault(ArrowType.ExtensionType.EXTENSION_METADATA_KEY_METADATA, ""));
    } catch (RuntimeException e) {
      return storage;
    }
  }

  static Map<String, String> metadata(FlatMemory m, int schema, String where) {
    try {
      return CDataMetadata.decode(m, m.readInt(schema + AbiV1.Schema.METADATA));
    } catch (IllegalArgumentException e) {
      throw violation(where + ": " + e.getMessage());
    }
  }
}
