package io.wasmflight.server;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A function of any kind written in Java and run inside the server without a sandbox, with the
 * contract of the Wasm kinds (proto-docs/abi-v1.md section 6): a <b>filter</b> emits the rows it
 * keeps ({@link Output#emitRows}), a <b>table</b> function emits any number of batches per input
 * batch, an <b>aggregate</b> keeps state across batches and emits from {@link #finish}. (A map is
 * simpler as a {@link NativeFunction}.) Registered with {@link
 * WasmFlightServer#registerNative(String, String, Factory)}; used for the benchmark's "native"
 * ceilings; not available over the Flight registration API.
 *
 * <p>One kernel per session, opened by its {@link Factory}; the server calls it from one thread:
 * {@link #apply} once per input batch in order, then {@link #finish} once, then {@link #close}
 * (also after a failure). Zero-row output batches are not sent to the client, but the session's
 * first output batch, zero rows or not, fixes the stream's schema; every later batch must have that
 * schema. A dictionary-encoded output field refers to the input's dictionary of the same id, which
 * must then not change mid-stream.
 */
public interface NativeKernel extends AutoCloseable {
  /** Opens the kernel of one session. */
  @FunctionalInterface
  interface Factory {
    /**
     * Opens the kernel of one session.
     *
     * @param allocator the session's allocator, counted against the exchange's memory limit: the
     *     kernel allocates its output batches from it and frees them in {@link #close}
     */
    NativeKernel open(BufferAllocator allocator);
  }

  /** Where a kernel's output batches go. */
  interface Output {
    /**
     * Sends one output batch. The root stays the kernel's: it may be refilled as soon as this
     * returns (the server copies what it cannot send at once).
     */
    void emit(VectorSchemaRoot batch);

    /**
     * Sends rows {@code rows[0..count)} of the input batch {@code in}, every column: a filter's
     * output, copied by the server as for a Wasm filter's selection.
     *
     * @param rows strictly increasing row indices of {@code in}
     * @throws IllegalArgumentException when they are not
     */
    void emitRows(VectorSchemaRoot in, int[] rows, int count);
  }

  /** Processes one input batch, emitting any number of output batches. */
  void apply(VectorSchemaRoot in, Output out);

  /**
   * The end of the input (also when the client sent no batch): emits what the kernel holds, an
   * aggregate's result. Nothing by default.
   */
  default void finish(Output out) {}

  /**
   * The schema of a stream that emitted no batch at all (the server still starts the stream): a
   * filter's is its input schema, a table function's its declared output. Asked at most once, at
   * the end of such a stream, and only when the client sent a schema.
   */
  Schema outputSchema(Schema input);

  /** Frees what the kernel allocated. Nothing by default. */
  @Override
  default void close() {}
}
