package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.codec.InputWriter;
import io.wasmflight.server.internal.ops.ExchangeStats;
import io.wasmflight.server.internal.wire.InputReadGuard;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One DoExchange as a pipeline: the input is read and handed to a {@link BatchStep} (a fresh guest
 * instance, or a native function), whose output batches go to an {@link OutputQueue} that sends
 * them as fast as the client reads and buffers them (up to the output budget) when it does not, so
 * reading and writing never wait for each other. A {@link SessionWatch} ends the session when the
 * client cancels, stalls or the session runs out of time. Everything the session holds lives
 * exactly as long as this call.
 */
public final class ExchangeSession {
  private static final AtomicLong IDS = new AtomicLong();

  private final String name;
  private final long allocatorLimit;
  private final long outputBudget;
  private final SessionWatch watch;
  private final ExchangeStats stats;
  private long batch = -1;
  private boolean finishing;

  /**
   * @param name "module/function (engine)", used in errors and the allocator name
   * @param stats where the session counts its batches, rows and bytes; a successful run finishes it
   *     (a failed one is finished by the caller, which knows how to report the failure)
   */
  public ExchangeSession(
      String name,
      long allocatorLimit,
      long outputBudget,
      SessionWatch watch,
      ExchangeStats stats) {
    this.name = name;
    this.allocatorLimit = allocatorLimit;
    this.outputBudget = outputBudget;
    this.watch = watch;
    this.stats = stats;
  }

  /** Location for error messages: the function and, once streaming, the batch index. */
  public String where() {
    if (finishing) {
      return name + " at the end of the input (finish, after " + batch + " batches)";
    }
    return batch < 0 ? name : name + " at batch " + batch;
  }

  /** Runs the exchange to completion; throws on failure (the caller reports it). */
  public void run(
      BufferAllocator parent,
      FlightStream reader,
      ServerStreamListener listener,
      Function<BufferAllocator, BatchStep> openStep) {
    try (BufferAllocator allocator =
            parent.newChildAllocator(
                "exchange-" + IDS.incrementAndGet() + " " + name, 0, allocatorLimit);
        OutputQueue out = new OutputQueue(listener, allocator, outputBudget, watch, stats);
        BatchStep step = openStep.apply(allocator)) {
      stats.memory(step::memoryBytes);
      try {
        pump(reader, out, step);
      } finally {
        stats.memory(null);
      }
    }
    // Only now that the step and the exchange's allocator are closed: a client that sees the
    // stream complete (and, say, shuts the server down) finds every buffer released, and a scrape
    // of the metrics after it counts this exchange.
    stats.finish(ExchangeStats.Outcome.OK, null, null);
    listener.completed();
  }

  private void pump(FlightStream reader, OutputQueue out, BatchStep step) {
    out.step(step);
    Schema inputSchema = null;
    batch = 0;
    while (nextBatch(reader)) {
      VectorSchemaRoot in = reader.getRoot();
      if (inputSchema == null) {
        inputSchema = in.getSchema();
      } else if (!inputSchema.equals(in.getSchema())) {
        throw new WasmFlightException.BadRequest(
            "input schema changed at batch "
                + batch
                + ": the session started with "
                + inputSchema
                + ", now "
                + in.getSchema());
      }
      stats.input(in.getRowCount(), bufferBytes(in));
      withMemoryLimit(() -> step.apply(in, reader.getDictionaryProvider(), out));
      batch++;
    }
    unreadable();
    finishing = true;
    withMemoryLimit(() -> step.finish(out));
    finishing = false;
    if (!out.started()) {
      // No output batch: still start the stream with the best schema we can know.
      out.start(
          step.emptyStreamSchema(
              reader.hasRoot() ? reader.getRoot().getSchema() : null,
              reader.getDictionaryProvider()),
          step.outputDictionaries());
    }
    out.awaitDrained();
  }

  /** The Arrow buffer bytes of a batch (dictionaries not counted). */
  private static long bufferBytes(VectorSchemaRoot root) {
    long n = 0;
    for (FieldVector v : root.getFieldVectors()) {
      n += v.getBufferSize();
    }
    return n;
  }

  /** Runs step work with the exchange's Arrow memory limit reported as a limit. */
  private void withMemoryLimit(Runnable work) {
    watch.checkStopped();
    try {
      work.run();
    } catch (OutOfMemoryException e) {
      throw new WasmFlightException.LimitExceeded(
          "the exchange's Arrow memory limit of " + allocatorLimit + " bytes was reached", e);
    }
  }

  /** A bad request when Arrow Java could not parse an input message (see InputReadGuard). */
  private static void unreadable() {
    InputReadGuard.Failure failure = InputReadGuard.current();
    String message = failure == null ? null : failure.message();
    if (message != null) {
      String hint =
          failure.malformed()
              ? ""
              : " (proto-docs/types.md lists what Arrow Java and Flight cannot carry)";
      throw new WasmFlightException.BadRequest(
          "Arrow Java cannot read the input stream: " + message + hint);
    }
  }

  /**
   * {@code reader.next()}, with a batch that does not fit the stream's schema reported as a bad
   * request. Arrow Java's reader cannot surface a second schema message: a client that changes the
   * schema mid-stream makes it load the next batch with the wrong layout, which fails here, or into
   * a root the server never sees, which {@link FlightStreams#requireOneSchema} catches.
   */
  private boolean nextBatch(FlightStream reader) {
    watch.phase(SessionWatch.Phase.INPUT);
    try {
      boolean more = reader.next();
      watch.phase(SessionWatch.Phase.WORK);
      watch.progress();
      watch.checkStopped();
      unreadable();
      if (more) {
        FlightStreams.requireOneSchema(reader, batch);
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
      throw new WasmFlightException.BadRequest(
          "input batch "
              + batch
              + " could not be read: "
              + e.getMessage()
              + " (did the input schema change mid-stream?)",
          e);
    }
  }
}
