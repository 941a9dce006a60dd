package io.wasmflight.server.internal;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.WasmFlightException;
import java.util.HashSet;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.DictionaryUtility;
import org.apache.arrow.vector.util.TransferPair;

/**
 * A {@link NativeFunction} run in the server, writing into one output root per session. A
 * dictionary-encoded output field refers to the input stream's dictionary of the same id; the
 * stream sends it once, so a copy taken at the first batch is what the client gets, and a later
 * input dictionary that differs from it is refused.
 */
final class NativeStep implements BatchStep {
  private final NativeFunction function;
  private final BufferAllocator allocator;
  private final DictionaryProvider.MapDictionaryProvider sent =
      new DictionaryProvider.MapDictionaryProvider();
  private VectorSchemaRoot out;

  NativeStep(NativeFunction function, BufferAllocator allocator) {
    this.function = function;
    this.allocator = allocator;
  }

  @Override
  public VectorSchemaRoot apply(VectorSchemaRoot in, DictionaryProvider dictionaries) {
    if (out == null) {
      out = VectorSchemaRoot.create(function.outputSchema(in.getSchema()), allocator);
      snapshot(out.getSchema(), dictionaries);
    } else {
      for (Long id : sent.getDictionaryIds()) {
        Dictionary now = dictionaries.lookup(id);
        if (now == null || !VectorEqualsVisitor.vectorEquals(sent.lookup(id).getVector(),
            now.getVector())) {
          throw new WasmFlightException.BadRequest("input dictionary " + id + " changed "
              + "mid-stream, and this native function passes it to its output; a stream sends "
              + "its output dictionaries once");
        }
      }
    }
    function.apply(in, out);
    return out;
  }

  /** Copies the input dictionaries the output schema refers to. */
  private void snapshot(Schema schema, DictionaryProvider dictionaries) {
    Set<Long> ids = new HashSet<>();
    for (Field f : schema.getFields()) {
      DictionaryUtility.toMessageFormat(f, dictionaries, ids);
    }
    for (Long id : ids) {
      Dictionary d = dictionaries.lookup(id);
      FieldVector from = d.getVector();
      FieldVector copy = from.getField().createVector(allocator);
      TransferPair pair = from.makeTransferPair(copy);
      for (int i = 0; i < from.getValueCount(); i++) {
        pair.copyValueSafe(i, i);
      }
      copy.setValueCount(from.getValueCount());
      sent.put(new Dictionary(copy, d.getEncoding()));
    }
  }

  @Override
  public DictionaryProvider outputDictionaries() {
    return sent;
  }

  @Override
  public Schema emptyStreamSchema(Schema input, DictionaryProvider dictionaries) {
    if (input == null) {
      return new Schema(java.util.List.of());
    }
    Schema schema = function.outputSchema(input);
    snapshot(schema, dictionaries);
    return schema;
  }

  @Override
  public void close() {
    if (out != null) {
      out.close();
    }
    for (Long id : sent.getDictionaryIds()) {
      AutoCloseables.closeNoChecked(sent.lookup(id).getVector());
    }
  }
}
