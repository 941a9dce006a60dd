package io.wasmflight.server.internal.wire;

import io.wasmflight.server.internal.abi.CDataFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The input messages of one DoExchange, checked in stream order before Arrow Java's reader sees
 * them: a schema must be one Arrow Java can deserialize (and nest no deeper than {@link
 * #MAX_NESTING}); every record and dictionary batch must fit the body it came with and the stream's
 * schema ({@link BatchWalk}). Arrow Java trusts the sizes in a batch header and allocates from them
 * (a negative row count becomes a 512 MiB bitmap it then loses), so nothing reaches it unchecked.
 *
 * <p>Not thread-safe: gRPC delivers a call's messages one at a time.
 */
final class InputCheck {
  /** Deeper nesting is refused before Arrow Java's recursive schema reader runs. */
  static final int MAX_NESTING = 128;

  /** The most fields (at every level) a schema may have. */
  static final int MAX_FIELDS = 1 << 20;

  /** A refused message: what it was ("record batch 3"), or null, and the problem. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final String subject;

    Refused(String subject, String problem) {
      super(problem, null, false, false);
      this.subject = subject;
    }
  }

  /** What to do with a message that passed. */
  enum Verdict {
    /** Hand it to Arrow Java's reader. */
    FORWARD,
    /** Free it and go on: the schema the stream already has, sent again. */
    DROP
  }

  /** One node of the stream's layout; a dictionary-encoded field is its index column here. */
  @SuppressWarnings("ArrayRecordComponent") // never compared, hashed or handed out
  record Col(
      String path, CDataFormat format, String unsupported, Col[] children, long dictionaryId) {}

  private Schema schema;
  private Col[] columns;
  private final Map<Long, Col> dictionaryValues = new HashMap<>();
  private final Map<Long, Long> dictionaryLengths = new HashMap<>();
  private long batches;

  Verdict schema(MessageMetadataResult header) throws Refused {
    Message m = header.getMessage();
    checkNesting(m);
    Schema s;
    try {
      s = MessageSerializer.deserializeSchema(m);
    } catch (RuntimeException e) {
      // Arrow Java's own reason (types.md documents these), as its reader would have thrown it.
      throw new Refused(
          null, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    if (s.equals(schema)) {
      return Verdict.DROP;
    }
    schema = s;
    dictionaryValues.clear();
    dictionaryLengths.clear();
    List<Field> fields = s.getFields();
    columns = new Col[fields.size()];
    for (int i = 0; i < columns.length; i++) {
      Field f = fields.get(i);
      columns[i] = col(f, "input column " + i + " ('" + f.getName() + "')");
    }
    return Verdict.FORWARD;
  }

  Verdict recordBatch(MessageMetadataResult header, ArrowBuf body) throws Refused {
    String subject = "record batch " + batches;
    if (columns == null) {
      throw new Refused(subject, "it arrives before the schema");
    }
    Message m = header.getMessage();
    RecordBatch batch = read(subject, () -> (RecordBatch) m.header(new RecordBatch()));
    BatchWalk.check(
        subject,
        batch,
        read(subject, m::bodyLength),
        header.getMessageLength(),
        body,
        columns,
        dictionaryLengths);
    batches++;
    return Verdict.FORWARD;
  }

  Verdict dictionaryBatch(MessageMetadataResult header, ArrowBuf body) throws Refused {
    Message m = header.getMessage();
    DictionaryBatch d =
        read("a dictionary batch", () -> (DictionaryBatch) m.header(new DictionaryBatch()));
    long id = read("a dictionary batch", d::id);
    String subject = "the dictionary batch of id " + id;
    if (read(subject, d::isDelta)) {
      throw new Refused(
          null,
          "the stream sends a delta dictionary batch, which Arrow Java's "
              + "Flight reader would load as a replacement; send whole dictionaries "
              + "(pyarrow: emit_dictionary_deltas=False, the default)");
    }
    if (columns == null) {
      throw new Refused(subject, "it arrives before the schema");
    }
    Col values = dictionaryValues.get(id);
    if (values == null) {
      throw new Refused(subject, "the schema has no dictionary-encoded field with id " + id);
    }
    RecordBatch data = read(subject, d::data);
    long length =
        BatchWalk.check(
            subject,
            data,
            read(subject, m::bodyLength),
            header.getMessageLength(),
            body,
            new Col[] {values},
            dictionaryLengths);
    dictionaryLengths.put(id, length);
    return Verdict.FORWARD;
  }

  /** Reads from a header flatbuffer; garbage surfaces as a runtime exception. */
  static <T> T read(String subject, java.util.function.Supplier<T> reader) throws Refused {
    try {
      T value = reader.get();
      if (value == null) {
        throw new Refused(subject, "its header lacks the table it needs");
      }
      return value;
    } catch (RuntimeException e) {
      throw new Refused(
          subject,
          "its header is not a valid flatbuffer (" + e.getClass().getSimpleName() + " reading it)");
    }
  }

  /** Arrow Java reads nested fields recursively: bound the depth (cycles) and the count. */
  private static void checkNesting(Message m) throws Refused {
    org.apache.arrow.flatbuf.Schema s =
        read(
            "the schema",
            () ->
                (org.apache.arrow.flatbuf.Schema) m.header(new org.apache.arrow.flatbuf.Schema()));
    int[] budget = {MAX_FIELDS};
    try {
      for (int i = 0; i < s.fieldsLength(); i++) {
        nesting(s.fields(i), 1, budget);
      }
    } catch (RuntimeException e) {
      throw new Refused(
          "the schema",
          "its header is not a valid flatbuffer (" + e.getClass().getSimpleName() + " reading it)");
    }
  }

  private static void nesting(org.apache.arrow.flatbuf.Field f, int depth, int[] budget)
      throws Refused {
    if (f == null) {
      throw new Refused("the schema", "a field entry is missing");
    }
    if (depth > MAX_NESTING) {
      throw new Refused("the schema", "its fields nest deeper than " + MAX_NESTING + " levels");
    }
    if (--budget[0] < 0) {
      throw new Refused("the schema", "it has more than " + MAX_FIELDS + " fields");
    }
    for (int j = 0; j < f.childrenLength(); j++) {
      nesting(f.children(j), depth + 1, budget);
    }
  }

  private Col col(Field field, String path) {
    DictionaryEncoding encoding = field.getDictionary();
    if (encoding != null) {
      Field values =
          new Field(
              field.getName(),
              new FieldType(field.isNullable(), field.getType(), null, field.getMetadata()),
              field.getChildren());
      dictionaryValues.put(encoding.getId(), col(values, path + " dictionary"));
      ArrowType.Int index =
          encoding.getIndexType() == null ? new ArrowType.Int(32, true) : encoding.getIndexType();
      return new Col(path, CDataFormat.of(index), null, new Col[0], encoding.getId());
    }
    List<Field> children = field.getChildren();
    CDataFormat format;
    try {
      format = CDataFormat.of(withTypeIds(field.getType(), children.size()));
    } catch (CDataFormat.UnsupportedFormat e) {
      return new Col(
          path,
          null,
          "type "
              + field.getType()
              + " has no layout the server can "
              + "check ("
              + e.getMessage()
              + ")",
          new Col[0],
          -1);
    }
    int want = format.childCount();
    if (want >= 0 && want != children.size()) {
      return new Col(
          path,
          null,
          "type "
              + field.getType()
              + " needs "
              + want
              + " child field(s), the schema gives "
              + children.size(),
          new Col[0],
          -1);
    }
    Col[] cols = new Col[children.size()];
    boolean listLike =
        switch (format.kind()) {
          case LIST, FIXED_LIST, LIST_VIEW -> true;
          default -> false;
        };
    for (int i = 0; i < cols.length; i++) {
      Field c = children.get(i);
      cols[i] = col(c, listLike ? path + "[" + c.getName() + "]" : path + "." + c.getName());
    }
    return new Col(path, format, null, cols, -1);
  }

  /** A union without explicit type ids numbers its members 0, 1, … (the IPC default). */
  private static ArrowType withTypeIds(ArrowType type, int members) {
    if (type instanceof ArrowType.Union u
        && (u.getTypeIds() == null || u.getTypeIds().length == 0)) {
      return new ArrowType.Union(u.getMode(), IntStream.range(0, members).toArray());
    }
    return type;
  }
}
