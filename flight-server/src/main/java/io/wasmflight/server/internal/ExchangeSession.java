package io.wasmflight.server.internal;

import io.wasmflight.server.WasmFlightException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;
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
        VectorSchemaRoot out = apply(step, in);
        if (!started) {
          listener.setUseZeroCopy(false); // output roots are reused for the next batch
          listener.start(out);
          started = true;
        }
        backpressure.awaitReady();
        listener.putNext();
        batch++;
      }
      if (!started) {
        // No batch arrived: still start the stream with the best schema we can know.
        Schema schema = step.emptyStreamSchema(reader.hasRoot() ? reader.getRoot().getSchema()
            : null);
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
          listener.start(empty);
        }
      }
      listener.completed();
    }
  }

  /** The step on one batch, with the exchange's Arrow memory limit reported as a limit. */
  private VectorSchemaRoot apply(BatchStep step, VectorSchemaRoot in) {
    try {
      return step.apply(in);
    } catch (OutOfMemoryException e) {
      throw new WasmFlightException.LimitExceeded("the exchange's Arrow memory limit of "
          + allocatorLimit + " bytes was reached", e);
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
      if (more) {
        SchemaChangeGuard.check(reader, batch);
      }
      return more;
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      throw new WasmFlightException.BadRequest("input batch " + batch + " could not be read: "
          + e.getMessage() + " (did the input schema change mid-stream?)", e);
    }
  }
}
