package io.wasmflight.server.internal;

import com.dylibso.chicory.runtime.ExportFunction;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.abi.GuestInstance;
import io.wasmflight.server.internal.abi.InputWriter;
import io.wasmflight.server.internal.abi.OutputReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A map function of a guest instance, called once per batch: input written into guest memory,
 * the export called, its status checked, the output validated and copied out, then released.
 * The instance is this step's alone and is dropped with it.
 */
final class GuestStep implements BatchStep {
  private final GuestInstance guest;
  private final FunctionSpec function;
  private final ExportFunction entry;
  private final OutputReader output;
  private final int outSchema;
  private final int outArray;
  private InputWriter input;

  GuestStep(GuestInstance guest, FunctionSpec function, String options, BufferAllocator allocator,
      long maxOutputBytes) {
    this.guest = guest;
    this.function = function;
    this.entry = guest.export(function.export());
    if (function.init() != null) {
      init(options);
    }
    this.outSchema = guest.alloc(AbiV1.Schema.SIZE + AbiV1.Array.SIZE, AbiV1.Array.ALIGN);
    this.outArray = outSchema + AbiV1.Schema.SIZE;
    this.output = new OutputReader(guest, allocator, maxOutputBytes, function.output());
  }

  private void init(String options) {
    byte[] json = options.getBytes(StandardCharsets.UTF_8);
    int ptr = guest.alloc(json.length, 1);
    guest.memory().write(ptr, json, 0, json.length);
    checkStatus(guest.callInt(guest.export(function.init()), ptr, json.length), function.init());
    guest.free(ptr, json.length, 1);
  }

  @Override
  public VectorSchemaRoot apply(VectorSchemaRoot in, DictionaryProvider dictionaries) {
    if (input == null) {
      input = new InputWriter(guest, in.getSchema(), dictionaries);
    }
    input.write(in);
    guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
    checkStatus(guest.callInt(entry, input.schemaPtr(), input.arrayPtr(), outSchema, outArray),
        function.export());
    VectorSchemaRoot out = output.read(outSchema, outArray, in.getRowCount());
    guest.release(outSchema, outArray);
    return out;
  }

  /** Runs the function on a zero-row batch of the client's schema to learn its output schema. */
  @Override
  public DictionaryProvider outputDictionaries() {
    return output.dictionaries();
  }

  @Override
  public Schema emptyStreamSchema(Schema inputSchema, DictionaryProvider dictionaries) {
    if (inputSchema != null) {
      try (VectorSchemaRoot empty = VectorSchemaRoot.create(inputSchema, output.allocator())) {
        empty.setRowCount(0);
        return apply(empty, dictionaries).getSchema();
      }
    }
    return function.output() != null ? function.output() : new Schema(List.of());
  }

  private void checkStatus(int status, String export) {
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

  @Override
  public void close() {
    output.close();
  }
}
