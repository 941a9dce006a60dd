package io.wasmflight.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * The Java end-to-end client, run in its own JVM against {@link BenchServer}. After a global JIT
 * warm-up ({@code --global-warmup-seconds}), for every workload and batch size it
 *
 * <ol>
 *   <li>runs one <b>verification</b> exchange per configuration over a pool of distinct batches,
 *       checking every output row against the expected values computed in Java;
 *   <li>warms each configuration up with untimed exchanges for {@code --warmup-seconds};
 *   <li>runs {@code --reps} rounds of <b>timed</b> exchanges, one per configuration per round
 *       (interleaved, so drift on a shared machine hits every configuration alike), each sending
 *       about {@code --target-seconds} worth of batches (at least {@code --min-batches}, at most
 *       {@code --max-rows} rows; the interpreter at most {@code --interp-max-rows}) and checking
 *       its row and batch counts.
 * </ol>
 *
 * <p>A timed exchange runs from opening the DoExchange to the last output row read; a second thread
 * reads while the main thread writes. The server's peak RSS is taken per configuration (its {@code
 * VmHWM} is reset before each timed run). Results go to {@code --out} as JSON.
 */
public final class BenchClient {
  static final List<String> CONFIGS = List.of("echo", "native", "aot", "interpreter");

  private final FlightClient client;
  private final BufferAllocator allocator;
  private final String serverPid;
  private final ExecutorService readers =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "bench-reader");
            t.setDaemon(true);
            return t;
          });

  private int reps;
  private double targetSeconds;
  private int minBatches;
  private long maxRows;
  private long interpMaxRows;
  private int interpMaxBatch;
  private long poolRows;
  private double warmupSeconds;
  private double globalWarmupSeconds;

  BenchClient(FlightClient client, BufferAllocator allocator, String serverPid) {
    this.client = client;
    this.allocator = allocator;
    this.serverPid = serverPid;
  }

  @SuppressWarnings("try") // FlightClient.close() may throw InterruptedException
  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    int port = Integer.parseInt(a.require("--port"));
    Path out = Path.of(a.require("--out"));
    ObjectMapper json = new ObjectMapper();
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client =
            FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
      BenchClient bench = new BenchClient(client, allocator, a.get("--server-pid", ""));
      bench.reps = a.intValue("--reps", 5);
      bench.targetSeconds = a.doubleValue("--target-seconds", 1.0);
      bench.minBatches = a.intValue("--min-batches", 2);
      bench.maxRows = a.longValue("--max-rows", 64L << 20);
      bench.interpMaxRows = a.longValue("--interp-max-rows", 256L << 10);
      bench.interpMaxBatch = a.intValue("--interp-max-batch", 65536);
      bench.poolRows = a.longValue("--pool-rows", 1 << 20);
      bench.warmupSeconds = a.doubleValue("--warmup-seconds", bench.targetSeconds);
      bench.globalWarmupSeconds = a.doubleValue("--global-warmup-seconds", 0);
      List<Integer> sizes = a.ints("--batch-sizes", "1K,64K,1M");
      // The filter, table and aggregate workloads may run at fewer sizes (quick mode).
      List<Integer> kindSizes = a.ints("--kinds-batch-sizes", a.get("--batch-sizes", "1K,64K,1M"));
      List<String> configs = a.strings("--configs", String.join(",", CONFIGS));
      List<String> workloads = a.strings("--workloads", Workload.names(Workload.ALL));
      int sessions = a.intValue("--roundtrip-sessions", 200);

      ObjectNode result = json.createObjectNode();
      result.put("client", "java");
      result.put("java_version", Runtime.version().toString());
      ArrayNode cells = result.putArray("cells");
      if (bench.globalWarmupSeconds > 0) {
        bench.globalWarmup();
      }
      for (String wn : workloads) {
        Workload w = Workload.byName(wn);
        int interpMax = Math.min(bench.interpMaxBatch, w.interpreterMaxBatch());
        for (int batchRows : w.kind() == Workload.Kind.MAP ? sizes : kindSizes) {
          List<String> run =
              configs.stream()
                  .filter(c -> !c.equals("interpreter") || batchRows <= interpMax)
                  .toList();
          try (Pool pool = bench.pool(w, batchRows)) {
            for (ObjectNode cell : bench.cells(w, run, batchRows, pool)) {
              cells.add(cell);
              System.out.println("java  " + Report.cellLine(cell));
            }
          }
          Files.writeString(out, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        }
      }
      if (sessions > 0) {
        result.set("session_roundtrip", bench.roundTrips(sessions));
      }
      result.put("complete", true);
      Files.writeString(out, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }
  }

  /** Distinct input batches for one workload and batch size, and their Flight record batches. */
  static final class Pool implements AutoCloseable {
    final Workload workload;
    final List<VectorSchemaRoot> roots = new ArrayList<>();
    final List<ArrowRecordBatch> batches = new ArrayList<>();
    private final Map<Long, Long> outputRows = new HashMap<>();
    long bytes;

    Pool(Workload workload) {
      this.workload = workload;
    }

    int size() {
      return roots.size();
    }

    /** The output rows of an exchange of {@code n} batches (computed once per n). */
    long outputRows(long n) {
      return outputRows.computeIfAbsent(n, k -> workload.outputRows(roots, k));
    }

    @Override
    public void close() {
      batches.forEach(ArrowRecordBatch::close);
      roots.forEach(VectorSchemaRoot::close);
    }
  }

  Pool pool(Workload w, int batchRows) {
    return pool(w, batchRows, (int) Math.max(1, Math.min(16, poolRows / batchRows)));
  }

  /** {@code n} distinct batches of {@code batchRows} rows. */
  Pool pool(Workload w, int batchRows, int n) {
    Pool p = new Pool(w);
    for (int i = 0; i < n; i++) {
      VectorSchemaRoot r = w.generate(allocator, batchRows, 1000L * batchRows + i);
      p.roots.add(r);
      p.batches.add(new VectorUnloader(r).getRecordBatch());
      p.bytes += Workload.payloadBytes(r);
    }
    return p;
  }

  static FlightDescriptor descriptor(Workload w, String config) {
    return switch (config) {
      case "echo" -> FlightDescriptor.path("bench", "echo");
      case "native" -> FlightDescriptor.path("bench_native", w.name());
      case "aot", "interpreter" ->
          FlightDescriptor.command(
              ("{\"module\": \""
                      + w.module()
                      + "\", \"function\": \""
                      + w.name()
                      + "\", \"engine\": \""
                      + config
                      + "\"}")
                  .getBytes(StandardCharsets.UTF_8));
      default -> throw new IllegalArgumentException("unknown configuration " + config);
    };
  }

  /** One exchange's outcome: input rows and batches sent, output rows received. */
  record Run(long rows, long batches, long outputRows, double seconds) {}

  /**
   * Warms both JVMs (JIT) before anything is measured: echo, native and AOT exchanges of add_one
   * and line_total at 1K and 64K rows per batch, for about {@code --global-warmup-seconds} in all.
   */
  void globalWarmup() throws Exception {
    List<String> configs = List.of("echo", "native", "aot");
    List<Workload> ws = List.of(Workload.byName("add_one"), Workload.byName("line_total"));
    double each = globalWarmupSeconds / (configs.size() * ws.size() * 2);
    long t0 = System.nanoTime();
    for (Workload w : ws) {
      for (int rows : List.of(1024, 65536)) {
        try (Pool pool = pool(w, rows)) {
          for (String c : configs) {
            FlightDescriptor d = descriptor(w, c);
            long end = System.nanoTime() + (long) (each * 1e9);
            while (System.nanoTime() < end) {
              exchange(d, w, pool, Math.max(1, 1_048_576 / rows), false);
            }
          }
        }
      }
    }
    System.out.printf("java  global warm-up: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * All configurations of one workload and batch size: each is verified, then warmed up (by time),
   * then the timed runs are interleaved (run r of every configuration before run r + 1) so that
   * drift on a shared machine affects every configuration alike.
   */
  List<ObjectNode> cells(Workload w, List<String> configs, int batchRows, Pool pool) {
    double bytesPerRow = (double) pool.bytes / ((long) pool.size() * batchRows);
    List<ObjectNode> cells = new ArrayList<>();
    long[] batches = new long[configs.size()];
    for (int i = 0; i < configs.size(); i++) {
      String config = configs.get(i);
      ObjectNode cell = new ObjectMapper().createObjectNode();
      cells.add(cell);
      cell.put("client", "java");
      cell.put("workload", w.name());
      cell.put("config", config);
      cell.put("batch_rows", batchRows);
      cell.put("bytes_per_row", bytesPerRow);
      long rowCap = config.equals("interpreter") ? interpMaxRows : maxRows;
      long capBatches = Math.max(1, rowCap / batchRows);
      FlightDescriptor d = descriptor(w, config);
      try {
        Run v = exchange(d, w, pool, Math.min(pool.size(), capBatches), true);
        cell.put("verified", true);
        cell.put("verified_rows", v.rows());
        cell.put("verified_output_rows", v.outputRows());
        // Warm up for about --warmup-seconds; size the timed runs from the last warm-up.
        // ... and until two consecutive warm-up exchanges agree within 10% (JIT settled), at
        // most four times as long. No warm-up at 0 (quick mode): the check run sizes them.
        Run last = v;
        double previous = Double.NaN;
        long start = System.nanoTime();
        while (warmupSeconds > 0) {
          last =
              exchange(
                  d,
                  w,
                  pool,
                  batchesFor(last.rows() / last.seconds(), batchRows, capBatches),
                  false);
          double rate = last.rows() / last.seconds();
          double elapsed = (System.nanoTime() - start) / 1e9;
          if (elapsed >= warmupSeconds && Math.abs(rate - previous) <= 0.1 * rate
              || elapsed >= 4 * warmupSeconds) {
            cell.put("warmup_seconds", elapsed);
            break;
          }
          previous = rate;
        }
        batches[i] = batchesFor(last.rows() / last.seconds(), batchRows, capBatches);
        cell.putArray("runs");
      } catch (Exception e) {
        fail(cell, e);
      }
    }
    for (int r = 0; r < reps; r++) {
      for (int i = 0; i < configs.size(); i++) {
        ObjectNode cell = cells.get(i);
        if (!cell.path("verified").asBoolean()) {
          continue;
        }
        boolean rssReset = !serverPid.isEmpty() && ProcStatus.resetPeak(serverPid);
        try {
          double serverCpu = serverPid.isEmpty() ? -1 : ProcStatus.cpuSeconds(serverPid);
          Run run = exchange(descriptor(w, configs.get(i)), w, pool, batches[i], false);
          double rate = run.rows() / run.seconds();
          ObjectNode o = ((ArrayNode) cell.get("runs")).addObject();
          if (serverCpu >= 0) {
            o.put("server_cpu_s", ProcStatus.cpuSeconds(serverPid) - serverCpu);
          }
          o.put("rows", run.rows());
          o.put("batches", run.batches());
          o.put("output_rows", run.outputRows());
          o.put("seconds", run.seconds());
          o.put("rows_per_s", rate);
          o.put("mb_per_s", rate * bytesPerRow / 1e6);
        } catch (Exception e) {
          fail(cell, e);
        }
        if (rssReset) {
          cell.put(
              "server_peak_rss_bytes",
              Math.max(
                  cell.path("server_peak_rss_bytes").asLong(-1), ProcStatus.peakRss(serverPid)));
        }
      }
    }
    for (ObjectNode cell : cells) {
      JsonNode runs = cell.path("runs");
      if (cell.path("verified").asBoolean() && !runs.isEmpty()) {
        double[] rates = new double[runs.size()];
        for (int r = 0; r < rates.length; r++) {
          rates[r] = runs.get(r).path("rows_per_s").asDouble();
        }
        Report.putStats(cell, rates, bytesPerRow);
      }
    }
    return cells;
  }

  private static void fail(ObjectNode cell, Exception e) {
    cell.put("verified", false);
    cell.put("error", String.valueOf(e.getMessage()));
    System.err.println(
        "java  "
            + cell.path("workload").asText()
            + " "
            + cell.path("config").asText()
            + " "
            + cell.path("batch_rows").asInt()
            + ": FAILED: "
            + e);
  }

  private long batchesFor(double rowsPerSec, int batchRows, long capBatches) {
    long n = (long) Math.ceil(targetSeconds * rowsPerSec / batchRows);
    return Math.max(Math.min(n, capBatches), Math.min(minBatches, capBatches));
  }

  /**
   * One DoExchange sending {@code n} batches cycled from the pool; checks every output row when
   * {@code verify}, else the output row count (and for a map or echo, the batch count). The rate is
   * of input rows.
   */
  @SuppressWarnings("try") // ExchangeReaderWriter.close() may throw InterruptedException
  Run exchange(FlightDescriptor d, Workload w, Pool pool, long n, boolean verify) throws Exception {
    boolean echo = !d.isCommand() && d.getPath().equals(List.of("bench", "echo"));
    boolean batchwise = echo || w.kind() == Workload.Kind.MAP;
    Workload.Check check =
        !verify
            ? null
            : echo
                ? MapWorkload.batchwise(pool.roots, n, BenchClient::verifyEcho)
                : w.check(pool.roots, n);
    long expectedRows = verify || batchwise ? -1 : pool.outputRows(n);
    long t0 = System.nanoTime();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(w.inputSchema(), allocator);
        FlightClient.ExchangeReaderWriter rw = client.doExchange(d)) {
      FlightStream reader = rw.getReader();
      Future<long[]> read =
          readers.submit(
              () -> {
                long rows = 0;
                long batches = 0;
                while (reader.next()) {
                  VectorSchemaRoot out = reader.getRoot();
                  String err = check == null ? null : check.next(out);
                  if (err != null) {
                    throw new IllegalStateException("wrong result: " + err);
                  }
                  rows += out.getRowCount();
                  batches++;
                }
                String err = check == null ? null : check.end();
                if (err != null) {
                  throw new IllegalStateException("wrong result: " + err);
                }
                return new long[] {rows, batches};
              });
      FlightClient.ClientStreamListener writer = rw.getWriter();
      writer.setUseZeroCopy(true);
      VectorLoader loader = new VectorLoader(root);
      loader.load(pool.batches.get(0));
      writer.start(root);
      long sentRows = 0;
      for (long i = 0; i < n; i++) {
        loader.load(pool.batches.get((int) (i % pool.size())));
        // Flight's client putNext busy-waits for readiness; park instead so that the spinning
        // does not take a core from the server on a 2-core machine.
        while (!writer.isReady() && !read.isDone()) {
          LockSupport.parkNanos(20_000);
        }
        if (read.isDone()) {
          break;
        }
        writer.putNext();
        sentRows += root.getRowCount();
      }
      writer.completed();
      long[] got;
      try {
        got = read.get(10, TimeUnit.MINUTES);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception c ? c : e;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (batchwise ? got[0] != sentRows || got[1] != n : !verify && got[0] != expectedRows) {
        throw new IllegalStateException(
            "sent "
                + n
                + " batches ("
                + sentRows
                + " rows), got "
                + got[1]
                + " batches ("
                + got[0]
                + " rows"
                + (batchwise ? ")" : ", expected " + expectedRows + " rows)"));
      }
      return new Run(sentRows, n, got[0], seconds);
    }
  }

  /** Echo must return its input unchanged. */
  static String verifyEcho(VectorSchemaRoot in, VectorSchemaRoot out) {
    if (!in.getSchema().equals(out.getSchema())) {
      return "output schema " + out.getSchema() + ", expected the input's " + in.getSchema();
    }
    for (int i = 0; i < in.getFieldVectors().size(); i++) {
      if (!VectorEqualsVisitor.vectorEquals(in.getVector(i), out.getVector(i))) {
        return "column " + i + " differs from the input";
      }
    }
    return null;
  }

  /**
   * Per-session cost seen by a client: open a DoExchange, send one 1-row batch, read the result,
   * close. For add_one on every configuration.
   */
  ArrayNode roundTrips(int sessions) throws Exception {
    ArrayNode out = new ObjectMapper().createArrayNode();
    Workload w = Workload.byName("add_one");
    try (Pool pool = pool(w, 1)) {
      for (String config : CONFIGS) {
        FlightDescriptor d = descriptor(w, config);
        ObjectNode o = out.addObject();
        o.put("workload", w.name());
        o.put("config", config);
        try {
          exchange(d, w, pool, 1, true);
          for (int i = 0; i < Math.min(50, sessions); i++) {
            exchange(d, w, pool, 1, false);
          }
          double[] ms = new double[sessions];
          for (int i = 0; i < sessions; i++) {
            ms[i] = exchange(d, w, pool, 1, false).seconds() * 1e3;
          }
          o.put("sessions", sessions);
          o.put("p50_ms", Stats.percentile(ms, 50));
          o.put("p99_ms", Stats.percentile(ms, 99));
          o.put("max_ms", Stats.max(ms));
          o.put("verified", true);
          System.out.printf(
              "java  session round trip %-11s p50 %.3f ms  p99 %.3f ms%n",
              config, Stats.percentile(ms, 50), Stats.percentile(ms, 99));
        } catch (Exception e) {
          o.put("verified", false);
          o.put("error", String.valueOf(e.getMessage()));
          System.err.println("java  session round trip " + config + ": FAILED: " + e);
        }
      }
    }
    return out;
  }
}
