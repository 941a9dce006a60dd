package io.wasmflight.server.internal;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** What an exchange session does with each input batch: a guest function or a native one. */
interface BatchStep extends AutoCloseable {
  /** The output for one input batch: a root owned by the step, valid until the next call. */
  VectorSchemaRoot apply(VectorSchemaRoot in);

  /**
   * The output schema of a stream without batches.
   *
   * @param input the client's schema, or null when it sent none
   */
  Schema emptyStreamSchema(Schema input);

  @Override
  void close();
}
