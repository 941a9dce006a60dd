package io.wasmflight.server.internal.exchange;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What an exchange session does with its input: a guest function of some kind, or a native one. A
 * step emits any number of output batches per input batch, and more at the end of the input.
 */
public interface BatchStep extends AutoCloseable {
  /** Where a step's output batches go (the session's {@link OutputQueue}). */
  interface Emitter {
    /**
     * Takes one output batch. The root stays the step's: it may be reused as soon as this returns.
     * Every batch of a session has the schema of the first.
     */
    void emit(VectorSchemaRoot root);
  }

  /**
   * Processes one input batch.
   *
   * @param dictionaries the input stream's dictionaries (current values), never null
   */
  void apply(VectorSchemaRoot in, DictionaryProvider dictionaries, Emitter out);

  /** The end of the input: a step with state emits what it holds. */
  default void finish(Emitter out) {}

  /** Whether zero-row output batches reach the client (map: one output batch per input). */
  default boolean forwardsEmptyBatches() {
    return false;
  }

  /**
   * The dictionaries of the output's dictionary-encoded fields. The stream sends them once, with
   * the first batch; a step guarantees that later batches use the same values.
   */
  DictionaryProvider outputDictionaries();

  /**
   * The output schema of a stream that emitted no batch.
   *
   * @param input the client's schema, or null when it sent none
   * @param dictionaries the input stream's dictionaries, never null
   */
  Schema emptyStreamSchema(Schema input, DictionaryProvider dictionaries);

  /** The guest linear memory this step holds now, in bytes (0 for a native step). */
  default long memoryBytes() {
    return 0;
  }

  @Override
  void close();
}
