package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.internal.registry.NativeEntry;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A {@link NativeKernel} run in the server: a map ({@link NativeFunction}, adapted by {@link
 * NativeMap}) or a function of another kind. A dictionary-encoded output field refers to the input
 * stream's dictionary of the same id ({@link PassThroughDictionaries}); a filter's rows are copied
 * by the same {@link RowSelector} as a Wasm filter's.
 */
public final class NativeStep implements BatchStep {
  private final NativeKernel kernel;
  private final boolean map;
  private final BufferAllocator allocator;
  private final PassThroughDictionaries dictionaries;
  private RowSelector selector;
  private DictionaryProvider inputDictionaries = new DictionaryProvider.MapDictionaryProvider();

  private NativeStep(NativeKernel kernel, boolean map, BufferAllocator allocator) {
    this.kernel = kernel;
    this.map = map;
    this.allocator = allocator;
    this.dictionaries = new PassThroughDictionaries(allocator, "this native function");
  }

  /**
   * The step of one session of a native function: a map (one output batch per input batch, zero-row
   * ones included) or a function of any kind.
   */
  public static NativeStep open(NativeEntry entry, BufferAllocator a) {
    return entry.map() != null
        ? new NativeStep(new NativeMap(entry.map(), a), true, a)
        : new NativeStep(entry.kernel().open(a), false, a);
  }

  @Override
  public void apply(VectorSchemaRoot in, DictionaryProvider inputDictionaries, Emitter emitter) {
    this.inputDictionaries = inputDictionaries;
    kernel.apply(in, new KernelOutput(emitter));
  }

  @Override
  public void finish(Emitter emitter) {
    kernel.finish(new KernelOutput(emitter));
  }

  @Override
  public boolean forwardsEmptyBatches() {
    return map;
  }

  @Override
  public DictionaryProvider outputDictionaries() {
    return dictionaries.provider();
  }

  @Override
  public Schema emptyStreamSchema(Schema input, DictionaryProvider inputDictionaries) {
    if (input == null) {
      return new Schema(List.of());
    }
    Schema schema = kernel.outputSchema(input);
    dictionaries.track(schema, inputDictionaries);
    return schema;
  }

  @Override
  public void close() {
    try {
      kernel.close();
    } finally {
      if (selector != null) {
        selector.close();
      }
      dictionaries.close();
    }
  }

  /** The kernel's view of the session's output. */
  private final class KernelOutput implements NativeKernel.Output {
    private final Emitter emitter;

    KernelOutput(Emitter emitter) {
      this.emitter = emitter;
    }

    @Override
    public void emit(VectorSchemaRoot batch) {
      dictionaries.track(batch.getSchema(), inputDictionaries);
      emitter.emit(batch);
    }

    @Override
    public void emitRows(VectorSchemaRoot in, int[] rows, int count) {
      int n = in.getRowCount();
      if (count < 0 || count > rows.length) {
        throw new IllegalArgumentException("count " + count + " for " + rows.length + " rows");
      }
      int previous = -1;
      for (int i = 0; i < count; i++) {
        if (rows[i] <= previous || rows[i] >= n) {
          throw new IllegalArgumentException(
              "row "
                  + rows[i]
                  + " at "
                  + i
                  + " (after "
                  + previous
                  + ") of a "
                  + n
                  + "-row batch: rows must be strictly increasing "
                  + "indices of the input");
        }
        previous = rows[i];
      }
      if (selector == null) {
        selector = new RowSelector(allocator);
      }
      emit(selector.select(in, rows, count));
    }
  }
}
