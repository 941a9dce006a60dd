package io.wasmflight.cli;

import java.io.IOException;

/** An output file written batch by batch from one root (given when the sink is opened). */
interface BatchSink extends AutoCloseable {
  /** Writes the batch the root holds now. */
  void write() throws IOException;

  /** Finishes the file (footer, last row group). */
  @Override
  void close() throws IOException;
}
