package io.wasmflight.server.internal;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/** What an exchange session does with each input batch: a guest function or a native one. */
interface BatchStep extends AutoCloseable {
  /**
   * The output for one input batch: a root owned by the step, valid until the next call.
   *
   * @param dictionaries the input stream's dictionaries (current values), never null
   */
  VectorSchemaRoot apply(VectorSchemaRoot in, DictionaryProvider dictionaries);

  /**
   * The dictionaries of the output's dictionary-encoded fields. The stream sends them once,
   * with the first batch; a step guarantees that later batches use the same values.
   */
  DictionaryProvider outputDictionaries();

  /**
   * The output schema of a stream without batches.
   *
   * @param input the client's schema, or null when it sent none
   * @param dictionaries the input stream's dictionaries, never null
   */
  Schema emptyStreamSchema(Schema input, DictionaryProvider dictionaries);

  @Override
  void close();
}
