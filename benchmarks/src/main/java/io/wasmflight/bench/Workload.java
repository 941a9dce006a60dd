package io.wasmflight.bench;

import io.wasmflight.server.NativeFunction;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One benchmark workload: a Rust guest ({@code guest-sdk-rust/examples/<name>}), the same logic in
 * plain Java (the "native" configuration), a deterministic input generator and a verifier that
 * recomputes the expected output in Java.
 */
public abstract class Workload {
  /** All workloads, in report order. */
  public static final List<Workload> ALL =
      List.of(new Workloads.AddOne(), new Workloads.Upper(), new Workloads.LineTotal(),
          new Workloads.Haversine());

  /** The workload called {@code name}. */
  public static Workload byName(String name) {
    for (Workload w : ALL) {
      if (w.name().equals(name)) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown workload '" + name + "'");
  }

  /** Function name (also the example crate and {@code .wasm} file name). */
  public abstract String name();

  /** One line for the report. */
  public abstract String description();

  /** The registered Wasm module holding the function. */
  public String module() {
    return "bench_" + name();
  }

  /** The module's map export. */
  public String export() {
    return "wf_fn_" + name();
  }

  public String wasmFile() {
    return name() + ".wasm";
  }

  public abstract Schema inputSchema();

  /** A batch of {@code rows} rows; the same seed gives the same batch. */
  public abstract VectorSchemaRoot generate(BufferAllocator allocator, int rows, long seed);

  /** The plain-Java implementation run inside the server. */
  public abstract NativeFunction nativeFunction();

  /** Null when {@code out} is the correct output for {@code in}, else the first mismatch. */
  public abstract String verify(VectorSchemaRoot in, VectorSchemaRoot out);

  /** Bytes of Arrow buffers in a batch (validity, offsets, data): the MB/s numerator. */
  public static long payloadBytes(VectorSchemaRoot root) {
    long n = 0;
    for (FieldVector v : root.getFieldVectors()) {
      n += v.getBufferSize();
    }
    return n;
  }
}
