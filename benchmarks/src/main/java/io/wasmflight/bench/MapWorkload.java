package io.wasmflight.bench;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.WasmFlightServer;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A map workload: one output batch per input batch, checked batch by batch; the plain-Java kernel
 * is a {@link NativeFunction} (also what KernelBench times as "plain Java").
 */
public abstract class MapWorkload extends Workload {
  private final Schema outputSchema;

  protected MapWorkload(String name, Schema input, Schema output, String description) {
    super(name, Kind.MAP, input, description);
    this.outputSchema = output;
  }

  /** The map workload called {@code name}. */
  public static MapWorkload byName(String name) {
    if (Workload.byName(name) instanceof MapWorkload m) {
      return m;
    }
    throw new IllegalArgumentException("workload '" + name + "' is not a map");
  }

  public final Schema outputSchema() {
    return outputSchema;
  }

  /**
   * The plain-Java kernel: fills {@code out} (of {@link #outputSchema}, reused across batches, its
   * vectors allocated as needed) and sets its row count to {@code in}'s.
   */
  protected abstract void applyNative(VectorSchemaRoot in, VectorSchemaRoot out);

  /** With the schema already checked: null when every row is right, else the first mismatch. */
  protected abstract String verifyRows(VectorSchemaRoot in, VectorSchemaRoot out);

  /** The plain-Java kernel as a server function. */
  public final NativeFunction nativeFunction() {
    return new NativeFunction() {
      @Override
      public Schema outputSchema(Schema input) {
        return outputSchema;
      }

      @Override
      public void apply(VectorSchemaRoot in, VectorSchemaRoot out) {
        applyNative(in, out);
      }
    };
  }

  /** Null when {@code out} is the correct output for {@code in}, else the first mismatch. */
  public final String verify(VectorSchemaRoot in, VectorSchemaRoot out) {
    if (!outputSchema.equals(out.getSchema())) {
      return "output schema " + out.getSchema() + ", expected " + outputSchema;
    }
    return verifyRows(in, out);
  }

  @Override
  public final void registerNative(WasmFlightServer server, String module) {
    server.registerNative(module, name(), nativeFunction());
  }

  @Override
  public final Check check(List<VectorSchemaRoot> inputs, long batches) {
    return batchwise(inputs, batches, this::verify);
  }

  @Override
  public final long outputRows(List<VectorSchemaRoot> inputs, long batches) {
    long rows = 0;
    for (long i = 0; i < batches; i++) {
      rows += input(inputs, i).getRowCount();
    }
    return rows;
  }

  /**
   * Output batch {@code i} must have input batch {@code i}'s row count and pass {@code verify};
   * there must be one per input batch (a map, or echo).
   */
  static Check batchwise(
      List<VectorSchemaRoot> inputs,
      long batches,
      BiFunction<VectorSchemaRoot, VectorSchemaRoot, String> verify) {
    return new Check() {
      private long seen;

      @Override
      public String next(VectorSchemaRoot out) {
        long batch = seen++;
        if (batch >= batches) {
          return "more output batches than the " + batches + " input batches";
        }
        VectorSchemaRoot in = input(inputs, batch);
        String err =
            out.getRowCount() != in.getRowCount()
                ? out.getRowCount() + " rows for " + in.getRowCount()
                : verify.apply(in, out);
        return err == null ? null : "batch " + batch + ": " + err;
      }

      @Override
      public String end() {
        return seen == batches ? null : seen + " output batches for " + batches;
      }
    };
  }
}
