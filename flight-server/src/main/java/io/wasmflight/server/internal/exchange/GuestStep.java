package io.wasmflight.server.internal.exchange;

import com.dylibso.chicory.runtime.ExportFunction;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.codec.InputWriter;
import io.wasmflight.server.internal.codec.OutputReader;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.GuestInstance;
import io.wasmflight.server.internal.registry.FunctionSpec;
import io.wasmflight.server.internal.registry.FunctionSpec.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A guest function of any kind (abi-v1.md section 6) over one instance: each input batch is written
 * into guest memory, the export called, its status checked, and its output validated, copied out
 * and released — one batch for {@code map}, a selection of the input rows for {@code filter}, any
 * number of batches for {@code table} (continuations after {@code WF_MORE}), none for {@code
 * aggregate}, whose {@code finish} emits at the end of the input. The instance is this step's alone
 * and is dropped with it.
 */
public final class GuestStep implements BatchStep {
  private final GuestInstance guest;
  private final CallBudget budget;
  private final FunctionSpec function;
  private final ExportFunction entry;
  private final ExportFunction finish;
  private final OutputReader output;
  private final int outSchema;
  private final int outArray;
  private final RowSelector selector;
  private final PassThroughDictionaries passThrough;
  private InputWriter input;
  private int[] selected = new int[0];

  public GuestStep(
      GuestInstance guest,
      CallBudget budget,
      FunctionSpec function,
      String options,
      BufferAllocator allocator,
      long maxOutputBytes) {
    this.guest = guest;
    this.budget = budget;
    this.function = function;
    this.entry = guest.export(function.export());
    this.finish = function.finish() == null ? null : guest.export(function.finish());
    if (function.init() != null) {
      init(options);
    }
    this.outSchema = guest.alloc(AbiV1.Schema.SIZE + AbiV1.Array.SIZE, AbiV1.Array.ALIGN);
    this.outArray = outSchema + AbiV1.Schema.SIZE;
    boolean filter = function.kind() == Kind.FILTER;
    this.output =
        new OutputReader(guest, allocator, maxOutputBytes, filter ? null : function.output());
    this.selector = filter ? new RowSelector(allocator) : null;
    this.passThrough = filter ? new PassThroughDictionaries(allocator, "this filter") : null;
  }

  private void init(String options) {
    byte[] json = options.getBytes(StandardCharsets.UTF_8);
    int ptr = guest.alloc(json.length, 1);
    guest.memory().write(ptr, json, 0, json.length);
    checkStatus(
        guest.callInt(guest.export(function.init()), ptr, json.length), function.init(), false);
    guest.free(ptr, json.length, 1);
  }

  @Override
  public void apply(VectorSchemaRoot in, DictionaryProvider dictionaries, Emitter out) {
    if (input == null) {
      function.checkInput(in.getSchema());
      input = new InputWriter(guest, in.getSchema(), dictionaries);
    }
    function.checkInputNulls(in.getFieldVectors());
    input.write(in);
    switch (function.kind()) {
      case MAP -> {
        call(entry, function.export(), false, input.schemaPtr(), input.arrayPtr());
        emitOutput(out, in.getRowCount());
      }
      case FILTER -> {
        call(entry, function.export(), false, input.schemaPtr(), input.arrayPtr());
        int count = readSelection(in.getRowCount());
        passThrough.track(in.getSchema(), dictionaries);
        if (count > 0) {
          out.emit(selector.select(in, selected, count));
        }
      }
      case TABLE -> {
        budget.startGroup();
        try {
          RowIndexCheck rows = new RowIndexCheck(in.getRowCount());
          boolean more;
          do {
            more = call(entry, function.export(), true, input.schemaPtr(), input.arrayPtr());
            VectorSchemaRoot root = output.read(outSchema, outArray, -1);
            rows.check(root);
            out.emit(root);
            guest.release(outSchema, outArray);
          } while (more);
        } finally {
          budget.endGroup();
        }
      }
      case AGGREGATE ->
          checkStatus(
              guest.callInt(entry, input.schemaPtr(), input.arrayPtr()), function.export(), false);
    }
  }

  @Override
  public void finish(Emitter out) {
    if (finish == null) {
      return;
    }
    budget.startGroup();
    try {
      boolean more;
      do {
        guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
        more = checkStatus(guest.callInt(finish, outSchema, outArray), function.finish(), true);
        out.emit(output.read(outSchema, outArray, -1));
        guest.release(outSchema, outArray);
      } while (more);
    } finally {
      budget.endGroup();
    }
  }

  @Override
  public boolean forwardsEmptyBatches() {
    return function.kind() == Kind.MAP;
  }

  /** Calls a batch entry point with fresh output slots; true when it answered WF_MORE. */
  private boolean call(
      ExportFunction f, String export, boolean mayContinue, int schema, int array) {
    guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
    return checkStatus(guest.callInt(f, schema, array, outSchema, outArray), export, mayContinue);
  }

  private void emitOutput(Emitter out, long rows) {
    VectorSchemaRoot root = output.read(outSchema, outArray, rows);
    out.emit(root);
    guest.release(outSchema, outArray);
  }

  /**
   * Reads a filter's selection (abi-v1.md 6.3) into {@link #selected}; returns how many rows it
   * keeps. Only the selection is copied out of guest memory.
   */
  private int readSelection(int rows) {
    VectorSchemaRoot root = output.read(outSchema, outArray, -1);
    try {
      List<FieldVector> columns = root.getFieldVectors();
      if (columns.size() != 1) {
        throw new WasmFlightException.AbiViolation(
            "a filter returns a selection of exactly one "
                + "column (boolean or int32), got "
                + columns.size()
                + " columns");
      }
      if (selected.length < rows) {
        selected = new int[rows];
      }
      FieldVector column = columns.get(0);
      int n = root.getRowCount();
      if (column instanceof BitVector mask) {
        if (n != rows) {
          throw new WasmFlightException.AbiViolation(
              "the filter's boolean selection has "
                  + n
                  + " rows for a "
                  + rows
                  + "-row batch (a boolean selection has one row per input "
                  + "row)");
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
          if (mask.isSet(i) != 0 && mask.get(i) != 0) {
            selected[count++] = i;
          }
        }
        return count;
      }
      if (column instanceof IntVector indices) {
        if (indices.getNullCount() != 0) {
          throw new WasmFlightException.AbiViolation("the filter's index selection has nulls");
        }
        int previous = -1;
        for (int i = 0; i < n; i++) {
          int row = indices.get(i);
          if (row < 0 || row >= rows) {
            throw new WasmFlightException.AbiViolation(
                "filter selected row " + row + " of a " + rows + "-row batch");
          }
          if (row <= previous) {
            throw new WasmFlightException.AbiViolation(
                "the filter's index selection is not "
                    + "strictly increasing: row "
                    + row
                    + " after row "
                    + previous);
          }
          selected[i] = row;
          previous = row;
        }
        return n;
      }
      throw new WasmFlightException.AbiViolation(
          "a filter returns a boolean or int32 " + "selection, got " + column.getField().getType());
    } finally {
      guest.release(outSchema, outArray);
    }
  }

  /** The catalog's {@code row_index} rule for one input batch (abi-v1.md section 4). */
  private final class RowIndexCheck {
    private final int rows;
    private int previous;

    RowIndexCheck(int rows) {
      this.rows = rows;
    }

    void check(VectorSchemaRoot root) {
      String name = function.rowIndex();
      if (name == null) {
        return;
      }
      FieldVector v = root.getVector(name);
      if (!(v instanceof IntVector index)) {
        throw new WasmFlightException.AbiViolation(
            "the row_index column '"
                + name
                + "' is "
                + (v == null
                    ? "missing from the output"
                    : "of type " + v.getField().getType() + ", expected int32"));
      }
      if (index.getNullCount() != 0) {
        throw new WasmFlightException.AbiViolation("the row_index column '" + name + "' has nulls");
      }
      for (int i = 0; i < root.getRowCount(); i++) {
        int row = index.get(i);
        if (row < previous || row >= rows) {
          throw new WasmFlightException.AbiViolation(
              "the row_index column '"
                  + name
                  + "' has "
                  + row
                  + " at output row "
                  + i
                  + (row >= rows || row < 0
                      ? " for a " + rows + "-row input batch"
                      : ", after " + previous + " (row indices never decrease within a batch)"));
        }
        previous = row;
      }
    }
  }

  @Override
  public long memoryBytes() {
    return guest.memory().size();
  }

  @Override
  public DictionaryProvider outputDictionaries() {
    return passThrough != null ? passThrough.provider() : output.dictionaries();
  }

  @Override
  public Schema emptyStreamSchema(Schema inputSchema, DictionaryProvider dictionaries) {
    if (function.output() != null && function.kind() != Kind.FILTER) {
      return function.output();
    }
    if (inputSchema == null) {
      return new Schema(List.of());
    }
    if (function.kind() == Kind.FILTER) {
      passThrough.track(inputSchema, dictionaries);
      return inputSchema;
    }
    // map and table: the function's output for a zero-row batch of the client's schema.
    Schema[] learned = new Schema[1];
    try (VectorSchemaRoot empty = VectorSchemaRoot.create(inputSchema, output.allocator())) {
      empty.setRowCount(0);
      apply(
          empty,
          dictionaries,
          root -> {
            if (learned[0] == null) {
              learned[0] = root.getSchema();
            }
          });
    }
    return learned[0] != null ? learned[0] : new Schema(List.of());
  }

  /** Checks a status; true for WF_MORE where {@code mayContinue} allows it. */
  private boolean checkStatus(int status, String export, boolean mayContinue) {
    switch (status) {
      case AbiV1.WF_OK -> {
        return false;
      }
      case AbiV1.WF_MORE -> {
        if (!mayContinue) {
          throw new WasmFlightException.AbiViolation(
              export
                  + " returned WF_MORE (256), which "
                  + "only a table function and finish may return");
        }
        return true;
      }
      case AbiV1.WF_ERR_INVALID_INPUT ->
          throw new WasmFlightException.GuestRejectedInput(guest.lastError());
      case AbiV1.WF_ERR_EXECUTION -> throw new WasmFlightException.GuestError(guest.lastError());
      case AbiV1.WF_ERR_OUT_OF_MEMORY ->
          throw new WasmFlightException.GuestOutOfMemory(guest.lastError());
      default ->
          throw new WasmFlightException.AbiViolation(export + " returned unknown status " + status);
    }
  }

  @Override
  public void close() {
    output.close();
    if (selector != null) {
      selector.close();
    }
    if (passThrough != null) {
      passThrough.close();
    }
  }
}
