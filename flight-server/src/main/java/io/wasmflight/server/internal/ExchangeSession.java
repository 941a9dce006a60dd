package io.wasmflight.server.internal;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.InputWriter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One DoExchange: a named child allocator, a {@link BatchStep} (a fresh guest instance, or a
 * native function) applied to every input batch, and the output streamed back with
 * backpressure. Everything the session holds lives exactly as long as this call.
 */
final class ExchangeSession {
  private static final AtomicLong IDS = new AtomicLong();

  private final String name;
  private final long allocatorLimit;
  private long batch = -1;

  /**
   * @param name "module/function (engine)", used in errors and the allocator name
   */
  ExchangeSession(String name, long allocatorLimit) {
    this.name = name;
    this.allocatorLimit = allocatorLimit;
  }

  /** Location for error messages: the function and, once streaming, the batch index. */
  String where() {
    return batch < 0 ? name : name + " at batch " + batch;
  }

  /** Runs the exchange to completion; throws on failure (the caller reports it). */
  void run(BufferAllocator parent, FlightStream reader, ServerStreamListener listener,
      Function<BufferAllocator, BatchStep> openStep) {
    Backpressure backpressure = new Backpressure(listener);
    try (BufferAllocator allocator = parent.newChildAllocator(
            "exchange-" + IDS.incrementAndGet() + " " + name, 0, allocatorLimit);
        BatchStep step = openStep.apply(allocator)) {
      Schema inputSchema = null;
      boolean started = false;
      batch = 0;
      while (nextBatch(reader)) {
        backpressure.checkCancelled();
        VectorSchemaRoot in = reader.getRoot();
        if (inputSchema == null) {
          inputSchema = in.getSchema();
        } else if (!inputSchema.equals(in.getSchema())) {
          throw new WasmFlightException.BadRequest("input schema changed at batch " + batch
              + ": the session started with " + inputSchema + ", now " + in.getSchema());
        }
        VectorSchemaRoot out = apply(step, in, reader.getDictionaryProvider());
        if (!started) {
          listener.setUseZeroCopy(false); // output roots are reused for the next batch
          listener.start(out, step.outputDictionaries());
          started = true;
        }
        backpressure.awaitReady();
        listener.putNext();
        batch++;
      }
      unreadable();
      if (!started) {
        // No batch arrived: still start the stream with the best schema we can know.
        Schema schema = step.emptyStreamSchema(reader.hasRoot() ? reader.getRoot().getSchema()
            : null, reader.getDictionaryProvider());
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
          listener.start(empty, step.outputDictionaries());
        }
      }
    }
    // Only now that the step and the exchange's allocator are closed: a client that sees the
    // stream complete (and, say, shuts the server down) finds every buffer released.
    listener.completed();
  }

  /** The step on one batch, with the exchange's Arrow memory limit reported as a limit. */
  private VectorSchemaRoot apply(BatchStep step, VectorSchemaRoot in,
      DictionaryProvider dictionaries) {
    try {
      return step.apply(in, dictionaries);
    } catch (OutOfMemoryException e) {
      throw new WasmFlightException.LimitExceeded("the exchange's Arrow memory limit of "
          + allocatorLimit + " bytes was reached", e);
    }
  }

  /** A bad request when Arrow Java could not parse an input message (see InputReadGuard). */
  private static void unreadable() {
    InputReadGuard.Failure failure = InputReadGuard.current();
    String message = failure == null ? null : failure.message();
    if (message != null) {
      throw new WasmFlightException.BadRequest("Arrow Java cannot read the input stream: "
          + message + " (proto-docs/types.md lists what Arrow Java and Flight cannot carry)");
    }
  }

  /**
   * {@code reader.next()}, with a batch that does not fit the stream's schema reported as a bad
   * request. Arrow Java's reader cannot surface a second schema message: a client that changes
   * the schema mid-stream makes it load the next batch with the wrong layout, which fails here,
   * or into a root the server never sees, which {@link SchemaChangeGuard} catches.
   */
  private boolean nextBatch(FlightStream reader) {
    try {
      boolean more = reader.next();
      unreadable();
      if (more) {
        SchemaChangeGuard.check(reader, batch);
        if (batch == 0) {
          InputWriter.checkReadable(reader.getRoot().getSchema());
        }
      }
      return more;
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      unreadable();
      if (reader.hasRoot()) {
        InputWriter.checkReadable(reader.getRoot().getSchema());
      }
      throw new WasmFlightException.BadRequest("input batch " + batch + " could not be read: "
          + e.getMessage() + " (did the input schema change mid-stream?)", e);
    }
  }
}
