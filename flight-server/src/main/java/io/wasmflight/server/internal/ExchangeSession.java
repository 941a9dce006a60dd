package io.wasmflight.server.internal;

import com.dylibso.chicory.runtime.ExportFunction;
import io.wasmflight.server.Engine;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.GuestInstance;
import io.wasmflight.server.internal.abi.InputWriter;
import io.wasmflight.server.internal.abi.OutputReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One DoExchange: a fresh guest instance, input batches written into it, one call per batch, the
 * output validated, copied and streamed back with backpressure. The instance, its memory and the
 * exchange's Arrow allocator live exactly as long as this call.
 */
final class ExchangeSession {
  private static final AtomicLong IDS = new AtomicLong();

  private final RegisteredModule module;
  private final FunctionSpec function;
  private final Engine engine;
  private final String options;
  private final ServerConfig config;
  private final String where;
  private long batch;

  ExchangeSession(RegisteredModule module, FunctionSpec function, Engine engine, String options,
      ServerConfig config) {
    this.module = module;
    this.function = function;
    this.engine = engine;
    this.options = options;
    this.config = config;
    this.where = module.name() + "/" + function.name() + " (" + engine.wireName() + ")";
  }

  /** Location for error messages: module/function, engine and batch index when known. */
  String where() {
    return batch < 0 ? where : where + " at batch " + batch;
  }

  /** Runs the exchange to completion; throws on failure (the caller reports it). */
  void run(BufferAllocator parent, FlightStream reader, ServerStreamListener listener) {
    Backpressure backpressure = new Backpressure(listener);
    batch = -1;
    String allocatorName = "exchange-" + IDS.incrementAndGet() + "-" + module.name() + "/"
        + function.name();
    GuestInstance guest = module.instantiate(engine, config.maxMemoryPages());
    try (BufferAllocator allocator =
            parent.newChildAllocator(allocatorName, 0, config.exchangeMemoryLimit());
        OutputReader output = new OutputReader(
            guest, allocator, config.maxOutputBytesPerBatch(), function.output())) {
      ExportFunction entry = guest.export(function.export());
      if (function.init() != null) {
        init(guest);
      }
      int outSchema = guest.alloc(AbiV1.Schema.SIZE + AbiV1.Array.SIZE, AbiV1.Array.ALIGN);
      int outArray = outSchema + AbiV1.Schema.SIZE;
      InputWriter input = null;
      boolean started = false;
      batch = 0;
      while (nextBatch(reader)) {
        backpressure.checkCancelled();
        VectorSchemaRoot in = reader.getRoot();
        if (input == null) {
          input = new InputWriter(guest, in.getSchema());
        } else if (!input.schema().equals(in.getSchema())) {
          throw new WasmFlightException.BadRequest("input schema changed at batch " + batch
              + ": the session started with " + input.schema() + ", now " + in.getSchema());
        }
        VectorSchemaRoot out = call(guest, entry, input, in, output, outSchema, outArray);
        if (!started) {
          listener.setUseZeroCopy(false); // the output root's buffers are reused per batch
          listener.start(out);
          started = true;
        }
        backpressure.awaitReady();
        listener.putNext();
        batch++;
      }
      if (!started) {
        // No batch arrived: still start the stream with the best schema we can know.
        Schema schema = emptyStreamSchema(reader, guest, entry, output, outSchema, outArray);
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
          listener.start(empty);
          listener.completed();
        }
        return;
      }
      listener.completed();
    }
  }

  /**
   * {@code reader.next()}, with a batch that does not fit the stream's schema reported as a bad
   * request. Arrow Java's reader cannot surface a second schema message: a client that changes
   * the schema mid-stream makes it load the next batch with the wrong layout, which fails here.
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

  private void init(GuestInstance guest) {
    byte[] json = options.getBytes(StandardCharsets.UTF_8);
    int ptr = guest.alloc(json.length, 1);
    guest.memory().write(ptr, json, 0, json.length);
    int status = guest.callInt(guest.export(function.init()), ptr, json.length);
    checkStatus(guest, status, function.init());
    guest.free(ptr, json.length, 1);
  }

  private VectorSchemaRoot call(GuestInstance guest, ExportFunction entry, InputWriter input,
      VectorSchemaRoot in, OutputReader output, int outSchema, int outArray) {
    input.write(in);
    guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
    int status = guest.callInt(entry, input.schemaPtr(), input.arrayPtr(), outSchema, outArray);
    checkStatus(guest, status, function.export());
    VectorSchemaRoot out = output.read(outSchema, outArray, in.getRowCount());
    guest.release(outSchema, outArray);
    return out;
  }

  /**
   * The schema for a stream without batches: the input schema run through the guest with zero
   * rows when the client sent one, else the declared output, else an empty schema.
   */
  private Schema emptyStreamSchema(FlightStream reader, GuestInstance guest, ExportFunction entry,
      OutputReader output, int outSchema, int outArray) {
    if (reader.hasRoot()) {
      VectorSchemaRoot in = reader.getRoot();
      if (in.getRowCount() == 0) {
        InputWriter input = new InputWriter(guest, in.getSchema());
        return call(guest, entry, input, in, output, outSchema, outArray).getSchema();
      }
    }
    return function.output() != null ? function.output() : new Schema(java.util.List.of());
  }

  private static void checkStatus(GuestInstance guest, int status, String export) {
    switch (status) {
      case AbiV1.WF_OK -> { }
      case AbiV1.WF_ERR_INVALID_INPUT ->
          throw new WasmFlightException.GuestRejectedInput(guest.lastError());
      case AbiV1.WF_ERR_EXECUTION -> throw new WasmFlightException.GuestError(guest.lastError());
      case AbiV1.WF_ERR_OUT_OF_MEMORY ->
          throw new WasmFlightException.GuestOutOfMemory(guest.lastError());
      default -> throw new WasmFlightException.AbiViolation(
          export + " returned unknown status " + status);
    }
  }
}
