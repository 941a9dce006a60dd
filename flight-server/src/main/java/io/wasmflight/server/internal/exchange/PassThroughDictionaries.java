package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import java.util.HashSet;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.DictionaryUtility;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Input dictionaries that a step's output refers to unchanged (a native function's output, the rows
 * a filter keeps). The stream sends them once: a copy taken at the first batch is what the client
 * gets, and a later input dictionary that differs from it is refused.
 */
final class PassThroughDictionaries implements AutoCloseable {
  private final BufferAllocator allocator;
  private final String who;
  private final DictionaryProvider.MapDictionaryProvider sent =
      new DictionaryProvider.MapDictionaryProvider();
  private boolean taken;

  /**
   * @param who "this native function", "this filter": named in the mid-stream error
   */
  PassThroughDictionaries(BufferAllocator allocator, String who) {
    this.allocator = allocator;
    this.who = who;
  }

  /** The copies the output stream sends. */
  DictionaryProvider provider() {
    return sent;
  }

  /** First call: copies the input dictionaries {@code schema} refers to. Later: checks them. */
  void track(Schema schema, DictionaryProvider input) {
    if (taken) {
      check(input);
      return;
    }
    taken = true;
    Set<Long> ids = new HashSet<>();
    for (Field f : schema.getFields()) {
      DictionaryUtility.toMessageFormat(f, input, ids);
    }
    for (Long id : ids) {
      Dictionary d = input.lookup(id);
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

  private void check(DictionaryProvider input) {
    for (Long id : sent.getDictionaryIds()) {
      Dictionary now = input.lookup(id);
      if (now == null
          || !VectorEqualsVisitor.vectorEquals(sent.lookup(id).getVector(), now.getVector())) {
        throw new WasmFlightException.BadRequest(
            "input dictionary "
                + id
                + " changed "
                + "mid-stream, and "
                + who
                + " passes it to its output; a stream sends its output "
                + "dictionaries once");
      }
    }
  }

  @Override
  public void close() {
    for (Long id : sent.getDictionaryIds()) {
      AutoCloseables.closeNoChecked(sent.lookup(id).getVector());
    }
  }
}
