package io.wasmflight.bench;

import io.wasmflight.server.WasmFlightServer;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One benchmark workload: a Rust guest ({@code guest-sdk-rust/examples/<name>}) of some kind
 * (abi-v1.md section 6), the same logic in plain Java (the "native" configuration), a deterministic
 * input generator and a check that recomputes the expected output in Java from the input and
 * compares every output row.
 *
 * <p>An exchange sends {@code batches} input batches cycled from a pool ({@code inputs.get(i %
 * inputs.size())} for batch {@code i}). Maps are checked batch by batch ({@link MapWorkload}); the
 * other kinds as one stream of rows, whatever its batch boundaries ({@link KindWorkloads}).
 */
public abstract class Workload {
  /** The function kinds of the ABI. */
  public enum Kind {
    MAP,
    FILTER,
    TABLE,
    AGGREGATE;

    /** As the catalog spells it. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** All workloads, in report order: the maps, then the other kinds. */
  public static final List<Workload> ALL =
      List.of(
          new Workloads.AddOne(),
          new Workloads.Upper(),
          new Workloads.LineTotal(),
          new Workloads.Haversine(),
          new KindWorkloads.Positive(),
          new KindWorkloads.SplitWords(),
          new KindWorkloads.WordCount(),
          new KindWorkloads.Summary());

  /** The workload called {@code name}. */
  public static Workload byName(String name) {
    for (Workload w : ALL) {
      if (w.name().equals(name)) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown workload '" + name + "'");
  }

  /** The map workloads (the ones KernelBench also runs kernel-only), in report order. */
  public static List<MapWorkload> maps() {
    return ALL.stream().filter(w -> w instanceof MapWorkload).map(w -> (MapWorkload) w).toList();
  }

  /** Comma-separated names (the programs' default lists). */
  public static String names(List<? extends Workload> workloads) {
    return String.join(",", workloads.stream().map(Workload::name).toList());
  }

  /** Checks the output stream of one exchange, as it arrives. */
  public interface Check {
    /** The next output batch: null when right, else the first mismatch. */
    String next(VectorSchemaRoot out);

    /** The end of the stream: null when no output is missing. */
    String end();
  }

  private final String name;
  private final Kind kind;
  private final Schema inputSchema;
  private final String description;

  protected Workload(String name, Kind kind, Schema inputSchema, String description) {
    this.name = name;
    this.kind = kind;
    this.inputSchema = inputSchema;
    this.description = description;
  }

  /** Function name (also the example crate and {@code .wasm} file name). */
  public final String name() {
    return name;
  }

  public final Kind kind() {
    return kind;
  }

  /** One line for the report. */
  public final String description() {
    return description;
  }

  public final Schema inputSchema() {
    return inputSchema;
  }

  /** The registered Wasm module holding the function. */
  public String module() {
    return "bench_" + name;
  }

  /** The function's export (for a map, the one KernelBench calls). */
  public String export() {
    return "wf_fn_" + name;
  }

  public String wasmFile() {
    return name + ".wasm";
  }

  /**
   * The largest batch the harness gives the interpreter for this workload: the default call time
   * limit (30 s) must hold with room to spare. No other limit than {@code --interp-max-batch} by
   * default.
   */
  public int interpreterMaxBatch() {
    return Integer.MAX_VALUE;
  }

  /** A batch of {@code rows} rows; the same seed gives the same batch. */
  public abstract VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed);

  /** Registers the plain-Java implementation as {@code [module, name()]}. */
  public abstract void registerNative(WasmFlightServer server, String module);

  /** A check of every output row of an exchange that sends {@code batches} batches. */
  public abstract Check check(List<VectorSchemaRoot> inputs, long batches);

  /** How many output rows such an exchange returns (what a timed run checks). */
  public abstract long outputRows(List<VectorSchemaRoot> inputs, long batches);

  /** Input batch {@code i} of an exchange over {@code inputs}. */
  static VectorSchemaRoot input(List<VectorSchemaRoot> inputs, long i) {
    return inputs.get((int) (i % inputs.size()));
  }

  /** Bytes of Arrow buffers in a batch (validity, offsets, data): the MB/s numerator. */
  public static long payloadBytes(VectorSchemaRoot root) {
    long n = 0;
    for (FieldVector v : root.getFieldVectors()) {
      n += v.getBufferSize();
    }
    return n;
  }
}
