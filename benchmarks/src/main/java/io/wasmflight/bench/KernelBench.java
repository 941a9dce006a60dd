package io.wasmflight.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.codec.InputWriter;
import io.wasmflight.server.internal.codec.OutputReader;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.GuestCompiler;
import io.wasmflight.server.internal.guest.GuestInstance;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Kernel-only timings, without Flight: one batch is written into guest memory once (with the
 * server's own {@link InputWriter}), then the map export is called again and again on it (each
 * call: zero the output slots, call, {@code wf_release}: exactly the guest work of a server batch
 * step, minus the host's copies). Engines: Chicory AOT, Chicory interpreter, and the plain-Java
 * kernel on an Arrow batch in the same process. Node runs the same {@code .wasm} on the same batch
 * from the dump this writes ({@code benchmarks/node/kernel.mjs}).
 *
 * <p>Also measures per-module setup: parse, compile (once) and instantiate per session (p50/p99).
 *
 * <p>{@code --breakdown-only} instead times, for AOT, the copy into guest memory alone and the
 * whole server step (copy in, call, validate and copy out, release). bench.sh runs it in a separate
 * JVM so that the host-side work shares no JIT state with the call timings (the compiled speed of a
 * guest loop depends on what C2 inlined into the guest function, and so on what else the JVM ran
 * first).
 *
 * <pre>
 * KernelBench --wasm-dir DIR --out FILE --dump-dir DIR [--batch-sizes 1K,64K,1M] [--reps 5]
 *   [--target-seconds 0.5] [--warmup-seconds 1] [--interp-max-batch 65536] [--sessions 200]
 *   [--breakdown-only]   (AOT only: time the copy into guest memory and the whole server step
 *                         instead of the call; run it in its own JVM, see below)
 * </pre>
 */
public final class KernelBench {
  private static final int CAP_PAGES = 16384;
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private final BufferAllocator allocator;
  private int reps;
  private double targetSeconds;
  private double warmupSeconds;
  private boolean breakdown;

  /**
   * A session's time budget as the server gives one by default (each guest call arms and disarms
   * the watchdog, the interpreter polls it per instruction).
   */
  static CallBudget budget() {
    ServerConfig defaults = ServerConfig.defaults();
    return new CallBudget(defaults.callTimeout(), defaults.sessionTimeout());
  }

  private KernelBench(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    Path wasmDir = Path.of(a.require("--wasm-dir"));
    Path out = Path.of(a.require("--out"));
    Path dumpDir = Path.of(a.require("--dump-dir"));
    Files.createDirectories(dumpDir);
    List<Integer> sizes = a.ints("--batch-sizes", "1K,64K,1M");
    int interpMaxBatch = a.intValue("--interp-max-batch", 65536);
    int sessions = a.intValue("--sessions", 200);
    // Kernel-only runs the maps (the other kinds have other calling sequences).
    List<String> workloads =
        a.strings("--workloads", Workload.names(Workload.maps())).stream()
            .filter(name -> Workload.byName(name).kind() == Workload.Kind.MAP)
            .toList();
    List<String> engines =
        a.flag("--breakdown-only")
            ? List.of("aot")
            : a.strings("--engines", "aot,interpreter,java");
    ObjectMapper json = new ObjectMapper();
    ObjectNode result = json.createObjectNode();
    result.put("java_version", Runtime.version().toString());
    ArrayNode cells = result.putArray("cells");
    ArrayNode setup = result.putArray("setup");
    ArrayNode dumps = result.putArray("dumps");
    try (BufferAllocator allocator = new RootAllocator()) {
      KernelBench bench = new KernelBench(allocator);
      bench.reps = a.intValue("--reps", 5);
      bench.targetSeconds = a.doubleValue("--target-seconds", 0.5);
      bench.warmupSeconds = a.doubleValue("--warmup-seconds", bench.targetSeconds);
      bench.breakdown = a.flag("--breakdown-only");
      for (String wn : workloads) {
        MapWorkload w = MapWorkload.byName(wn);
        byte[] bytes = Files.readAllBytes(wasmDir.resolve(w.wasmFile()));
        long t0 = System.nanoTime();
        WasmModule module = Parser.parse(bytes);
        long t1 = System.nanoTime();
        Function<Instance, Machine> compiled = GuestCompiler.compile(module);
        long t2 = System.nanoTime();
        if (a.flag("--breakdown-only")) {
          for (int rows : sizes) {
            try (VectorSchemaRoot in = w.generate(allocator, rows, 1000L * rows)) {
              ObjectNode cell = cells.addObject();
              cell.put("engine", "aot");
              cell.put("workload", w.name());
              cell.put("batch_rows", rows);
              cell.put("bytes_per_row", (double) Workload.payloadBytes(in) / Math.max(rows, 1));
              try {
                bench.runGuest(w, module, compiled, in, cell);
                cell.put("verified", true);
              } catch (Exception | StackOverflowError e) {
                cell.put("verified", false);
                cell.put("error", String.valueOf(e));
              }
              System.out.println(
                  "kernel step "
                      + Report.kernelLine(
                          cell.path("step").isObject()
                              ? ((ObjectNode) cell.get("step"))
                                  .deepCopy()
                                  .put("engine", "aot step")
                                  .put("workload", w.name())
                                  .put("batch_rows", rows)
                                  .put("verified", true)
                              : cell));
            }
          }
          continue;
        }
        ObjectNode s = setup.addObject();
        s.put("workload", w.name());
        s.put("module_bytes", bytes.length);
        s.put("parse_ms", (t1 - t0) / 1e6);
        s.put("compile_ms", (t2 - t1) / 1e6);
        s.set("instantiate_aot", instantiateTimes(module, compiled, sessions));
        s.set("instantiate_interpreter", instantiateTimes(module, null, sessions));
        System.out.printf(
            "kernel setup %-10s parse %.1f ms, compile %.1f ms, instantiate AOT "
                + "p50 %.3f ms p99 %.3f ms%n",
            w.name(),
            (t1 - t0) / 1e6,
            (t2 - t1) / 1e6,
            s.get("instantiate_aot").get("p50_ms").asDouble(),
            s.get("instantiate_aot").get("p99_ms").asDouble());

        for (int rows : sizes) {
          try (VectorSchemaRoot in = w.generate(allocator, rows, 1000L * rows)) {
            Integer checksum = null;
            for (String engine : engines) {
              if (engine.equals("interpreter") && rows > interpMaxBatch) {
                continue;
              }
              ObjectNode cell = cells.addObject();
              cell.put("engine", engine);
              cell.put("workload", w.name());
              cell.put("batch_rows", rows);
              cell.put("bytes_per_row", (double) Workload.payloadBytes(in) / Math.max(rows, 1));
              try {
                if (engine.equals("java")) {
                  // Verified with a tolerance: the JDK's sin/cos need not match libm's bits.
                  bench.runJava(w, in, cell);
                } else {
                  // Both Chicory engines (and Node, later) run the same code: same bits.
                  int sum =
                      bench.runGuest(w, module, engine.equals("aot") ? compiled : null, in, cell);
                  if (checksum == null) {
                    checksum = sum;
                  } else if (checksum != sum) {
                    throw new IllegalStateException(
                        "output checksum "
                            + sum
                            + " differs from "
                            + "the other engine's "
                            + checksum);
                  }
                  cell.put("checksum", sum);
                }
                cell.put("verified", true);
              } catch (Exception | StackOverflowError e) {
                cell.put("verified", false);
                cell.put("error", String.valueOf(e));
                System.err.println(
                    "kernel " + engine + " " + w.name() + " " + rows + ": FAILED: " + e);
              }
              System.out.println("kernel " + Report.kernelLine(cell));
              Files.writeString(
                  out, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            }
            if (checksum != null) {
              dumps.add(dump(json, dumpDir, wasmDir, w, in, checksum));
            }
          }
        }
      }
    }
    result.put("complete", true);
    Files.writeString(out, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
  }

  /**
   * Instantiation times of {@code n} sessions in a warm JVM: after the first (reported apart),
   * untimed instantiations — at least min(n, 50), then until this JVM's JIT compilers have gone
   * quiet ({@link JitWatch}; right after a module's compilation C2 is busy with the compiler's own
   * code, and sessions timed then measured that), at most 10 s; with fewer than 50 sessions (quick
   * mode) just min(n, 50).
   */
  static ObjectNode instantiateTimes(
      WasmModule module, Function<Instance, Machine> compiled, int n) {
    ObjectNode o = new ObjectMapper().createObjectNode();
    long t0 = System.nanoTime();
    GuestInstance.instantiate(module, compiled, CAP_PAGES, budget());
    o.put("first_ms", (System.nanoTime() - t0) / 1e6);
    JitWatch jit = JitWatch.thisJvmAnd();
    jit.sample();
    long warmStart = System.nanoTime();
    int warm = 0;
    // Quick mode (fewer than 50 sessions, no target read from it) skips the 2 s JIT window.
    boolean quiet = n < 50;
    while (true) {
      GuestInstance.instantiate(module, compiled, CAP_PAGES, budget());
      warm++;
      if (warm % 10 == 0) {
        jit.sample();
        quiet = quiet || jit.quiet();
      }
      if (warm >= Math.min(n, 50) && quiet || System.nanoTime() - warmStart > 10_000_000_000L) {
        break;
      }
    }
    o.put("warmup_sessions", warm);
    o.put("warmup_jit_quiet", quiet);
    double[] ms = new double[n];
    for (int i = 0; i < n; i++) {
      long s = System.nanoTime();
      GuestInstance.instantiate(module, compiled, CAP_PAGES, budget());
      ms[i] = (System.nanoTime() - s) / 1e6;
    }
    o.put("sessions", n);
    o.put("p50_ms", Stats.percentile(ms, 50));
    o.put("p99_ms", Stats.percentile(ms, 99));
    o.put("max_ms", Stats.max(ms));
    return o;
  }

  /** Something to call repeatedly; returns rows processed. */
  interface Kernel {
    void call();
  }

  /** Warms up, then times {@code reps} repetitions of about {@code targetSeconds} each. */
  private double lastWarmupSeconds;

  private boolean lastWarmupQuiet;

  /**
   * Calls {@code k} in windows of a tenth of the warm-up time until at least {@code
   * --warmup-seconds} have passed and two consecutive windows ran at rates within 5% of each other
   * (the JIT has settled: Chicory's generated classes can take seconds to reach C2 on a busy 2-core
   * machine) and, for warm-ups of 0.5 s or more, this JVM's JIT compilers have gone quiet ({@link
   * JitWatch}: a 2 s window, so shorter quick-mode warm-ups skip it), or ten times the warm-up time
   * at most. Returns the seconds per call of the last window.
   */
  private double warmUp(Kernel k) {
    long start = System.nanoTime();
    long window = (long) Math.max(1e6, warmupSeconds * 1e8);
    double previous = Double.NaN;
    JitWatch jit = JitWatch.thisJvmAnd();
    jit.sample();
    while (true) {
      long t0 = System.nanoTime();
      long c0 = CPU.getCurrentThreadCpuTime();
      long calls = 0;
      do {
        k.call();
        calls++;
      } while (System.nanoTime() - t0 < window);
      double perCall = (System.nanoTime() - t0) / 1e9 / calls;
      // Settled is judged on this thread's CPU time per call, which other processes on a shared
      // machine do not inflate (wall time per call does).
      double cpuPerCall = (CPU.getCurrentThreadCpuTime() - c0) / 1e9 / calls;
      double elapsed = (System.nanoTime() - start) / 1e9;
      boolean settled = Math.abs(cpuPerCall - previous) <= 0.05 * cpuPerCall;
      jit.sample();
      boolean quiet = warmupSeconds < 0.5 || jit.quiet();
      if (elapsed >= warmupSeconds && settled && quiet || elapsed >= 10 * warmupSeconds) {
        lastWarmupSeconds = elapsed;
        lastWarmupQuiet = quiet;
        return perCall;
      }
      previous = cpuPerCall;
    }
  }

  private void time(Kernel k, int rows, ObjectNode cell) {
    double perCall = warmUp(k);
    cell.put("warmup_seconds", lastWarmupSeconds);
    cell.put("warmup_jit_quiet", lastWarmupQuiet);
    long calls = Math.max(1, (long) Math.ceil(targetSeconds / perCall));
    ArrayNode runs = cell.putArray("runs");
    double[] rowsPerSec = new double[reps];
    double bytesPerRow = cell.get("bytes_per_row").asDouble();
    for (int r = 0; r < reps; r++) {
      long s = System.nanoTime();
      long cpu0 = CPU.getCurrentThreadCpuTime();
      for (long c = 0; c < calls; c++) {
        k.call();
      }
      double seconds = (System.nanoTime() - s) / 1e9;
      double cpuSeconds = (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9;
      rowsPerSec[r] = calls * (double) rows / seconds;
      ObjectNode o = runs.addObject();
      o.put("calls", calls);
      o.put("rows", calls * rows);
      o.put("seconds", seconds);
      o.put("rows_per_s", rowsPerSec[r]);
      // The benchmark thread's CPU time: on a shared machine, the rate while it was running.
      o.put("cpu_seconds", cpuSeconds);
      o.put("rows_per_cpu_s", calls * (double) rows / cpuSeconds);
      o.put("mb_per_s", rowsPerSec[r] * bytesPerRow / 1e6);
    }
    Report.putStats(cell, rowsPerSec, bytesPerRow);
  }

  private int runGuest(
      MapWorkload w,
      WasmModule module,
      Function<Instance, Machine> compiled,
      VectorSchemaRoot in,
      ObjectNode cell) {
    GuestInstance guest = GuestInstance.instantiate(module, compiled, CAP_PAGES, budget());
    InputWriter writer = new InputWriter(guest, in.getSchema());
    writer.write(in);
    int outSchema = guest.alloc(AbiV1.Schema.SIZE + AbiV1.Array.SIZE, AbiV1.Array.ALIGN);
    int outArray = outSchema + AbiV1.Schema.SIZE;
    ExportFunction entry = guest.export(w.export());
    int schemaPtr = writer.schemaPtr();
    int arrayPtr = writer.arrayPtr();
    Kernel call =
        () -> {
          guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
          int status = guest.callInt(entry, schemaPtr, arrayPtr, outSchema, outArray);
          if (status != AbiV1.WF_OK) {
            throw new IllegalStateException(
                w.export() + " returned " + status + ": " + guest.lastError());
          }
          guest.release(outSchema, outArray);
        };
    // Verify the output once, through the server's own reader.
    int checksum;
    guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
    int status = guest.callInt(entry, schemaPtr, arrayPtr, outSchema, outArray);
    if (status != AbiV1.WF_OK) {
      throw new IllegalStateException(
          w.export() + " returned " + status + ": " + guest.lastError());
    }
    try (OutputReader reader = new OutputReader(guest, allocator, Long.MAX_VALUE, null)) {
      VectorSchemaRoot out = reader.read(outSchema, outArray, in.getRowCount());
      String err = w.verify(in, out);
      if (err != null) {
        throw new IllegalStateException("wrong result: " + err);
      }
      checksum = Checksum.of(out);
    }
    guest.release(outSchema, outArray);
    if (!breakdown) {
      time(call, in.getRowCount(), cell);
    } else {
      // Where the server's per-batch step goes: the copy into guest memory alone, and the whole
      // step as GuestStep runs it (copy in, call, validate and copy out, release).
      try (OutputReader reader = new OutputReader(guest, allocator, Long.MAX_VALUE, null)) {
        ObjectNode copyIn = cell.putObject("copy_in");
        copyIn.put("bytes_per_row", cell.get("bytes_per_row").asDouble());
        time(() -> writer.write(in), in.getRowCount(), copyIn);
        ObjectNode step = cell.putObject("step");
        step.put("bytes_per_row", cell.get("bytes_per_row").asDouble());
        time(
            () -> {
              writer.write(in);
              guest.memory().fill((byte) 0, outSchema, outArray + AbiV1.Array.SIZE);
              if (guest.callInt(entry, schemaPtr, arrayPtr, outSchema, outArray) != AbiV1.WF_OK) {
                throw new IllegalStateException(w.export() + " failed: " + guest.lastError());
              }
              reader.read(outSchema, outArray, in.getRowCount());
              guest.release(outSchema, outArray);
            },
            in.getRowCount(),
            step);
      }
    }
    cell.put("guest_memory_bytes", guest.memory().size());
    return checksum;
  }

  private void runJava(MapWorkload w, VectorSchemaRoot in, ObjectNode cell) {
    NativeFunction f = w.nativeFunction();
    try (VectorSchemaRoot out =
        VectorSchemaRoot.create(f.outputSchema(in.getSchema()), allocator)) {
      f.apply(in, out);
      String err = w.verify(in, out);
      if (err != null) {
        throw new IllegalStateException("wrong result: " + err);
      }
      time(() -> f.apply(in, out), in.getRowCount(), cell);
    }
  }

  /**
   * Writes the batch for Node: {@code <workload>-<rows>.bin} (every C Data buffer, 8-byte aligned)
   * and a JSON description with offsets, lengths and the expected output checksum.
   */
  private static ObjectNode dump(
      ObjectMapper json, Path dir, Path wasmDir, Workload w, VectorSchemaRoot in, int checksum)
      throws IOException {
    int rows = in.getRowCount();
    String base = w.name() + "-" + rows;
    ObjectNode d = json.createObjectNode();
    d.put("workload", w.name());
    d.put("wasm", wasmDir.resolve(w.wasmFile()).toAbsolutePath().toString());
    d.put("export", w.export());
    d.put("rows", rows);
    d.put("bytes_per_row", (double) Workload.payloadBytes(in) / Math.max(rows, 1));
    d.put("expected_checksum", checksum);
    d.put("data", base + ".bin");
    ArrayNode cols = d.putArray("columns");
    long pos = 0;
    try (OutputStream o = Files.newOutputStream(dir.resolve(base + ".bin"))) {
      for (FieldVector v : in.getFieldVectors()) {
        Field f = v.getField();
        ObjectNode c = cols.addObject();
        c.put("name", f.getName());
        c.put("format", formatOf(v));
        c.put("nullable", f.isNullable());
        int nulls = v.getNullCount();
        c.put("null_count", nulls);
        ArrayNode bufs = c.putArray("buffers");
        // C Data order: validity (absent without nulls), then values or offsets + data.
        long validityLen = nulls > 0 ? (rows + 7) / 8 : -1;
        pos = put(o, bufs, v.getValidityBuffer(), validityLen, pos);
        if (v instanceof BaseVariableWidthVector var) {
          pos = put(o, bufs, var.getOffsetBuffer(), 4L * (rows + 1), pos);
          pos =
              put(
                  o,
                  bufs,
                  var.getDataBuffer(),
                  rows == 0 ? 0 : var.getOffsetBuffer().getInt(4L * rows),
                  pos);
        } else {
          pos =
              put(
                  o,
                  bufs,
                  v.getDataBuffer(),
                  (long) rows * ((org.apache.arrow.vector.BaseFixedWidthVector) v).getTypeWidth(),
                  pos);
        }
      }
    }
    Files.writeString(
        dir.resolve(base + ".json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(d));
    ObjectNode ref = json.createObjectNode();
    ref.put("workload", w.name());
    ref.put("rows", rows);
    ref.put("file", dir.resolve(base + ".json").toString());
    return ref;
  }

  /** Appends {@code len} bytes of {@code buf} (len -1: an absent buffer), padded to 8. */
  private static long put(OutputStream o, ArrayNode bufs, ArrowBuf buf, long len, long pos)
      throws IOException {
    ObjectNode b = bufs.addObject();
    if (len < 0) {
      b.put("offset", -1);
      b.put("length", 0);
      return pos;
    }
    byte[] bytes = new byte[(int) len];
    buf.getBytes(0, bytes);
    o.write(bytes);
    int pad = (int) ((8 - len % 8) % 8);
    o.write(new byte[pad]);
    b.put("offset", pos);
    b.put("length", len);
    return pos + len + pad;
  }

  private static String formatOf(FieldVector v) {
    return switch (v.getMinorType()) {
      case BIGINT -> "l";
      case FLOAT8 -> "g";
      case VARCHAR -> "u";
      default -> throw new IllegalArgumentException("no dump format for " + v.getField());
    };
  }
}
