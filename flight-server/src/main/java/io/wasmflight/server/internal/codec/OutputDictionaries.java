package io.wasmflight.server.internal.codec;

import static io.wasmflight.server.internal.codec.OutputBounds.violation;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * The output stream's dictionaries, sent once per stream: the first batch's dictionaries become the
 * stream's (Arrow Java's Flight writer cannot replace them), and every later batch must carry the
 * same values. Ids are 0, 1, … in depth-first post-order of the schema.
 */
final class OutputDictionaries implements AutoCloseable {
  private final BufferAllocator allocator;
  private final OutputCopy copy;
  private final DictionaryProvider.MapDictionaryProvider provider =
      new DictionaryProvider.MapDictionaryProvider();

  /** Every dictionary-encoded node, in id order. */
  private final List<OutputNode> encoded = new ArrayList<>();

  /** Per dictionary id: a vector the later batches' dictionaries are read into and compared. */
  private final List<FieldVector> scratch = new ArrayList<>();

  private final IdentityHashMap<OutputNode, Field> dictionaryFields = new IdentityHashMap<>();

  OutputDictionaries(BufferAllocator allocator, OutputCopy copy) {
    this.allocator = allocator;
    this.copy = copy;
  }

  /** The dictionaries, fixed after the first batch. */
  DictionaryProvider provider() {
    return provider;
  }

  /** Records a dictionary-encoded node of the tree being built and its dictionary's field. */
  void add(OutputNode encodedNode, Field dictionaryField) {
    encoded.add(encodedNode);
    dictionaryFields.put(encodedNode, dictionaryField);
  }

  /** Creates the stream's dictionary vectors once the whole tree has been added. */
  void create() {
    encoded.sort((a, b) -> Long.compare(a.dictionaryId, b.dictionaryId));
    for (OutputNode e : encoded) {
      Field df = fieldOf(e);
      FieldVector vector = copy.create(df, e.path + " dictionary");
      provider.put(new Dictionary(vector, e.field.getDictionary()));
      scratch.add(null);
    }
  }

  private Field fieldOf(OutputNode encodedNode) {
    return dictionaryFields.get(encodedNode);
  }

  /**
   * First batch: the dictionaries become the stream's. Later batches: each must equal the first
   * (Arrow Java's Flight writer sends dictionaries once, at the start of the stream).
   */
  void load(byte[] mem, long batches) {
    for (int i = 0; i < encoded.size(); i++) {
      OutputNode e = encoded.get(i);
      FieldVector sent = provider.lookup(e.dictionaryId).getVector();
      if (batches == 0) {
        copy.load(e.dictionary, sent);
        // The stream keeps these buffers: later batches copy into new ones.
        e.dictionary.detach();
        continue;
      }
      FieldVector now = scratch.get(i);
      if (now == null) {
        now = fieldOf(e).createVector(allocator);
        scratch.set(i, now);
      }
      copy.copy(mem, e.dictionary, false);
      copy.load(e.dictionary, now);
      if (!VectorEqualsVisitor.vectorEquals(sent, now)) {
        throw violation(
            e.path
                + ": the dictionary changed at batch "
                + batches
                + "; a stream "
                + "sends its dictionaries once (Arrow Java's Flight writer cannot replace them), "
                + "so "
                + "every output batch must carry the dictionary of the first");
      }
    }
  }

  @Override
  public void close() {
    for (FieldVector v : scratch) {
      if (v != null) {
        v.close();
      }
    }
    scratch.clear();
    for (Long id : provider.getDictionaryIds()) {
      provider.lookup(id).getVector().close();
    }
  }
}
