package io.wasmflight.cli;

import java.io.IOException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;

/** An input file as Arrow record batches, loaded one at a time into one root. */
interface BatchSource extends AutoCloseable {
  /** The root every batch is loaded into; its schema is the input's. */
  VectorSchemaRoot root();

  /** The dictionaries of dictionary-encoded columns (Arrow IPC only; empty otherwise). */
  DictionaryProvider dictionaries();

  /**
   * Loads the next batch into {@link #root()} in freshly allocated buffers (the previous batch's
   * buffers may still be referenced by a write in flight), or returns false at the end.
   */
  boolean next() throws IOException;

  @Override
  void close() throws IOException;
}
