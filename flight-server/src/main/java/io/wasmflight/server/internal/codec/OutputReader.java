package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.cString;
import static io.wasmflight.server.internal.codec.OutputBounds.requireRange;
import static io.wasmflight.server.internal.codec.OutputBounds.violation;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Kind;
import io.wasmflight.server.internal.codec.OutputSchema.Parsed;
import io.wasmflight.server.internal.guest.FlatMemory;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
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
 * <p>One reader per session. The root it fills is created on the first batch and reused for every
 * later batch, as are the Arrow buffers behind it (they grow when needed); all of it is closed with
 * the reader. Dictionaries are numbered 0, 1, … in depth-first post-order and are sent once per
 * stream (Arrow Java's Flight writer cannot replace them), so every batch must carry the same
 * dictionary values as the first.
 */
public final class OutputReader implements AutoCloseable {
  private final GuestInstance guest;
  private final BufferAllocator allocator;
  private final Schema declared;
  private final OutputSchema schemas = new OutputSchema();
  private final OutputValidation validation;
  private final OutputCopy copy;
  private final OutputDictionaries dictionaries;
  private VectorSchemaRoot root;

  /** The batch struct; its children are the columns. Built with the root. */
  private OutputNode top;

  private boolean hasDenseUnion;

  /** The first batch's parsed schema and raw top-level metadata, which later batches match. */
  private Parsed[] parsed;

  private byte[] parsedTopMetadata;
  private long schemaParses;
  private long batches;

  /**
   * @param declared the output schema the catalog declares, or null when it depends on input
   */
  public OutputReader(
      GuestInstance guest, BufferAllocator allocator, long maxOutputBytes, Schema declared) {
    this.guest = guest;
    this.allocator = allocator;
    this.declared = declared;
    this.validation = new OutputValidation(maxOutputBytes);
    this.copy = new OutputCopy(allocator);
    this.dictionaries = new OutputDictionaries(allocator, copy);
  }

  /** The allocator output vectors come from. */
  public BufferAllocator allocator() {
    return allocator;
  }

  /** How many batches had their schema parsed (the first, and any whose bytes differed). */
  public long schemaParses() {
    return schemaParses;
  }

  /** The root of the last batch read, or null before the first. */
  public VectorSchemaRoot root() {
    return root;
  }

  /**
   * The dictionaries of the output's dictionary-encoded fields (ids as in the root's schema), fixed
   * after the first batch.
   */
  public DictionaryProvider dictionaries() {
    return dictionaries.provider();
  }

  /**
   * Validates and copies the output in the two slots. On success the root holds {@code rows} rows
   * (or, with {@code rows} -1, as many as the guest gave); the caller then releases the guest's
   * output with {@code wf_release}.
   */
  public VectorSchemaRoot read(int schemaPtr, int arrayPtr, long rows) {
    FlatMemory m = guest.memory();
    requireRange(m, schemaPtr, AbiV1.Schema.SIZE, "output ArrowSchema");
    requireRange(m, arrayPtr, AbiV1.Array.SIZE, "output ArrowArray");
    if (m.readInt(arrayPtr + AbiV1.Array.RELEASE) == 0) {
      throw violation("the output ArrowArray was not filled (its release is null)");
    }
    String topFormat =
        cString(
            m,
            m.readInt(schemaPtr + AbiV1.Schema.FORMAT),
            OutputSchema.MAX_FORMAT_BYTES,
            "output schema format");
    if (!"+s".equals(topFormat)) {
      throw violation(
          "output schema format is '" + topFormat + "', expected '+s' (a struct batch)");
    }
    long nSchema = m.readLong(schemaPtr + AbiV1.Schema.N_CHILDREN);
    long nArray = m.readLong(arrayPtr + AbiV1.Array.N_CHILDREN);
    if (nSchema != nArray || nSchema < 0 || nSchema > AbiV1.MAX_CHILDREN) {
      throw violation(
          "output n_children is "
              + nSchema
              + " in the schema and "
              + nArray
              + " in the array (must be equal, 0.."
              + AbiV1.MAX_CHILDREN
              + ")");
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
      throw violation(
          "output has "
              + length
              + " rows for "
              + rows
              + " input rows (a map "
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
    // 1. The schema: parsed for the first batch. Later batches usually carry the same bytes and
    // are only compared; one that differs is parsed and must still equal the first.
    if (root == null
        || n != parsed.length
        || !OutputSchema.sameAsParsed(m, schemaPtr, schemaChildren, parsed, parsedTopMetadata)) {
      schemaParses++;
      Map<String, String> schemaMetadata = OutputSchema.metadata(m, schemaPtr, "output schema");
      Parsed[] columns = schemas.columns(m, schemaPtr, schemaChildren, n);
      List<Field> fields = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fields.add(columns[i].field);
      }
      Schema schema = new Schema(fields, schemaMetadata);
      if (declared != null && !OutputSchema.sameFields(declared, schema)) {
        if (!OutputSchema.sameTypes(declared, schema)) {
          throw violation("output schema " + schema + " differs from the declared " + declared);
        }
        // Only names or nullability differ: the declared schema wins (abi-v1.md 5.5).
        schema = OutputSchema.asDeclared(declared, schema);
      }
      if (root == null) {
        build(columns, schema);
        parsed = columns;
        parsedTopMetadata = OutputSchema.rawMetadata(m, schemaPtr);
      } else if (!root.getSchema().equals(schema)) {
        throw violation(
            "output schema changed between batches: was " + root.getSchema() + ", now " + schema);
      }
    }

    // 2. The arrays: everything validated and measured before anything is allocated.
    validation.batch(m, top, arrayPtr, arrayChildren, offset, rows, n);

    // 3. Copy and load.
    byte[] mem = m.array();
    List<FieldVector> vectors = root.getFieldVectors();
    for (int i = 0; i < n; i++) {
      copy.copy(mem, top.children[i], batches == 0);
      copy.load(top.children[i], vectors.get(i));
    }
    dictionaries.load(mem, batches);
    if (declared != null) {
      requireDeclaredNonNull(vectors);
    }
    root.setRowCount((int) rows);
    if (hasDenseUnion) {
      // setRowCount recomputes dense union children's lengths from their type ids; put back the
      // lengths the guest gave (its offsets may address any child slot).
      for (int i = 0; i < n; i++) {
        copy.load(top.children[i], vectors.get(i));
      }
    }
    batches++;
    return root;
  }

  /** Nulls in a column the catalog declares non-nullable are the guest's error, not the ABI's. */
  private void requireDeclaredNonNull(List<FieldVector> vectors) {
    List<Field> want = declared.getFields();
    for (int i = 0; i < want.size(); i++) {
      int nulls = vectors.get(i).getNullCount();
      if (!want.get(i).isNullable() && nulls > 0) {
        throw new WasmFlightException.GuestError(
            "output column "
                + i
                + " ('"
                + want.get(i).getName()
                + "') has "
                + nulls
                + " null(s), but the catalog declares it non-nullable");
      }
    }
  }

  /** Builds the node tree, the root and the dictionary vectors from the first batch's schema. */
  private void build(Parsed[] columns, Schema schema) {
    // Later batches must have this schema, so checking the first batch checks them all.
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < columns.length; i++) {
      Integer first = names.putIfAbsent(columns[i].field.getName(), i);
      if (first != null) {
        throw violation(
            "output columns "
                + first
                + " and "
                + i
                + " are both named '"
                + columns[i].field.getName()
                + "'; column names must be unique");
      }
    }
    OutputNode[] children = new OutputNode[columns.length];
    for (int i = 0; i < columns.length; i++) {
      children[i] = node(columns[i]);
    }
    top = new OutputNode(CDataFormat.parse("+s", 0), null, "output batch", children, null, -1);
    dictionaries.create();
    List<FieldVector> vectors = new ArrayList<>();
    try {
      for (int i = 0; i < columns.length; i++) {
        vectors.add(copy.create(schema.getFields().get(i), columns[i].path));
      }
    } catch (RuntimeException e) {
      vectors.forEach(FieldVector::close);
      throw e;
    }
    root = new VectorSchemaRoot(schema, vectors, 0);
  }

  private OutputNode node(Parsed p) {
    OutputNode[] children = new OutputNode[p.children.length];
    for (int i = 0; i < children.length; i++) {
      children[i] = node(p.children[i]);
    }
    OutputNode dictionary = p.dictionary == null ? null : node(p.dictionary);
    OutputNode n = new OutputNode(p.format, p.field, p.path, children, dictionary, p.dictionaryId);
    if (p.format.kind() == Kind.DENSE_UNION) {
      hasDenseUnion = true;
    }
    if (dictionary != null) {
      dictionaries.add(n, p.dictionaryField);
    }
    return n;
  }

  @Override
  public void close() {
    if (root != null) {
      root.close();
      root = null;
    }
    dictionaries.close();
    if (top != null) {
      top.release();
    }
  }
}
