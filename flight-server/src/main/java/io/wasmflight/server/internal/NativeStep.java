package io.wasmflight.server.internal;

import io.wasmflight.server.NativeFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A {@link NativeFunction} run in the server, a map writing into one output root per session.
 * A dictionary-encoded output field refers to the input stream's dictionary of the same id
 * ({@link PassThroughDictionaries}).
 */
final class NativeStep implements BatchStep {
  private final NativeFunction function;
  private final BufferAllocator allocator;
  private final PassThroughDictionaries dictionaries;
  private VectorSchemaRoot out;

  NativeStep(NativeFunction function, BufferAllocator allocator) {
    this.function = function;
    this.allocator = allocator;
    this.dictionaries = new PassThroughDictionaries(allocator, "this native function");
  }

  @Override
  public void apply(VectorSchemaRoot in, DictionaryProvider inputDictionaries, Emitter emitter) {
    if (out == null) {
      out = VectorSchemaRoot.create(function.outputSchema(in.getSchema()), allocator);
    }
    dictionaries.track(out.getSchema(), inputDictionaries);
    function.apply(in, out);
    emitter.emit(out);
  }

  @Override
  public boolean forwardsEmptyBatches() {
    return true;
  }

  @Override
  public DictionaryProvider outputDictionaries() {
    return dictionaries.provider();
  }

  @Override
  public Schema emptyStreamSchema(Schema input, DictionaryProvider inputDictionaries) {
    if (input == null) {
      return new Schema(java.util.List.of());
    }
    Schema schema = function.outputSchema(input);
    dictionaries.track(schema, inputDictionaries);
    return schema;
  }

  @Override
  public void close() {
    if (out != null) {
      out.close();
    }
    dictionaries.close();
  }
}
