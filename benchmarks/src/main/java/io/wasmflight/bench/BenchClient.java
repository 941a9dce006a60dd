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
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 *   <li>warms each configuration up with untimed exchanges for at least {@code --warmup-seconds},
 *       then until two consecutive ones agree within 10% and the JIT compiler threads of the server
 *       and of this client have used at most 5% of a core over the last 2 s ({@link JitWatch}), at
 *       most {@code --warmup-max-seconds} (default 60);
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
 *
 * <p><b>Concurrency</b> (after the cells; {@code --concurrency-clients N}, default 2, 0 turns it
 * off): for {@code --concurrency-workloads} (default add_one, if among {@code --workloads}) at
 * {@code --concurrency-batch-sizes} (default 64K,1M) and {@code --concurrency-configs} (default
 * aot,echo, those among {@code --configs}), the aggregate input rate of 1 client and of N clients
 * at once. Each client has its own {@link FlightClient} (its own connection), writer thread and
 * reader thread, and runs the same {@link #exchange} over the same pool with the same batch count
 * (sized from the one-client warm-up like a cell's timed runs); the clients are released together
 * by a barrier and a round's rate is all the clients' input rows over the wall time from that
 * instant to the last client's last output row. Each measurement first runs one verifying round
 * (every client's exchange checks every output row), then, after the warm-up, {@code --reps} rounds
 * interleaved across configurations and client counts, each checking the output row and batch
 * counts. In the JSON, top-level {@code "concurrency"} is an array of
 *
 * <pre>
 * {workload, config, batch_rows, clients, verified, error?, verified_rows, batches_per_client,
 *  rows_per_s_median, rows_per_s_min, rows_per_s_max, (mb_per_s_median/_min/_max, reps),
 *  server_cpu_ns_per_row, client_cpu_ns_per_row (medians over the runs; -1 when unknown),
 *  scaling (clients &gt; 1 only: this median / the one-client median of the same cell),
 *  runs: [{rows, seconds, rows_per_s, client_seconds: [per client], server_cpu_s, client_cpu_s,
 *          loadavg_1m}]}
 * </pre>
 *
 * where {@code server_cpu_s} and {@code client_cpu_s} are the CPU seconds the server process and
 * this client process used during the round (from {@code /proc}: server and clients share the
 * machine's cores, so these say how much of them the client itself takes).
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

  // The options (set by main; package-private for the tests).
  int reps;
  double targetSeconds;
  int minBatches;
  long maxRows;
  long interpMaxRows;
  int interpMaxBatch;
  long poolRows;
  double warmupSeconds;
  double warmupMaxSeconds;
  double globalWarmupSeconds;
  int concurrencyClients;

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
      bench.warmupMaxSeconds =
          a.doubleValue("--warmup-max-seconds", Math.max(60, 4 * bench.warmupSeconds));
      bench.globalWarmupSeconds = a.doubleValue("--global-warmup-seconds", 0);
      List<Integer> sizes = a.ints("--batch-sizes", "1K,64K,1M");
      // The filter, table and aggregate workloads may run at fewer sizes (quick mode).
      List<Integer> kindSizes = a.ints("--kinds-batch-sizes", a.get("--batch-sizes", "1K,64K,1M"));
      List<String> configs = a.strings("--configs", String.join(",", CONFIGS));
      List<String> workloads = a.strings("--workloads", Workload.names(Workload.ALL));
      int sessions = a.intValue("--roundtrip-sessions", 200);
      bench.concurrencyClients = a.intValue("--concurrency-clients", 2);
      List<String> concurrencyWorkloads =
          a.strings("--concurrency-workloads", workloads.contains("add_one") ? "add_one" : "");
      List<String> concurrencyConfigs =
          a.strings("--concurrency-configs", "aot,echo").stream()
              .filter(configs::contains)
              .toList();
      List<Integer> concurrencySizes = a.ints("--concurrency-batch-sizes", "64K,1M");

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
      if (bench.concurrencyClients > 0
          && !concurrencyWorkloads.isEmpty()
          && !concurrencyConfigs.isEmpty()) {
        result.set(
            "concurrency",
            bench.concurrency(
                Location.forGrpcInsecure("127.0.0.1", port),
                concurrencyWorkloads,
                concurrencyConfigs,
                concurrencySizes));
        Files.writeString(out, json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
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

    /**
     * The output rows of an exchange of {@code n} batches (computed once per n; concurrent clients
     * share a pool).
     */
    synchronized long outputRows(long n) {
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

  /** Watches the JIT compilers of the server (when its pid is known) and of this JVM. */
  JitWatch jitWatch() {
    return JitWatch.thisJvmAnd(serverPid);
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
        // Warm up for at least --warmup-seconds, then until two consecutive warm-up exchanges
        // agree within 10% and the JIT compilers of the server and of this client have gone
        // quiet (JitWatch), at most --warmup-max-seconds; size the timed runs from the last
        // warm-up. No warm-up at 0 (quick mode): the check run sizes them.
        Run last = v;
        double previous = Double.NaN;
        long start = System.nanoTime();
        JitWatch jit = jitWatch();
        jit.sample();
        while (warmupSeconds > 0) {
          last =
              exchange(
                  d,
                  w,
                  pool,
                  batchesFor(last.rows() / last.seconds(), batchRows, capBatches),
                  false);
          jit.sample();
          double rate = last.rows() / last.seconds();
          double elapsed = (System.nanoTime() - start) / 1e9;
          boolean agree = Math.abs(rate - previous) <= 0.1 * rate;
          boolean quiet = jit.quiet();
          if (elapsed >= warmupSeconds && agree && quiet || elapsed >= warmupMaxSeconds) {
            cell.put("warmup_seconds", elapsed);
            cell.put("warmup_jit_quiet", quiet);
            cell.put("warmup_jit_share", jit.share());
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
          double serverJit = serverPid.isEmpty() ? -1 : ProcStatus.compilerCpuSeconds(serverPid);
          Run run = exchange(descriptor(w, configs.get(i)), w, pool, batches[i], false);
          double rate = run.rows() / run.seconds();
          ObjectNode o = ((ArrayNode) cell.get("runs")).addObject();
          if (serverCpu >= 0) {
            o.put("server_cpu_s", ProcStatus.cpuSeconds(serverPid) - serverCpu);
          }
          if (serverJit >= 0) {
            // CPU the server's JIT compilers used during the run: near 0 when it was warm.
            o.put("server_jit_cpu_s", ProcStatus.compilerCpuSeconds(serverPid) - serverJit);
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

  /** One round of concurrent exchanges: every client's run, and the round's wall time and CPU. */
  record Round(List<Run> runs, double seconds, double serverCpu, double clientCpu) {
    long rows() {
      return runs.stream().mapToLong(Run::rows).sum();
    }

    double rate() {
      return rows() / seconds;
    }
  }

  /**
   * The concurrency measurements (see the class comment): for each workload, batch size and
   * configuration, 1 client and {@code --concurrency-clients} clients at once, each client on its
   * own connection.
   */
  @SuppressWarnings("try") // FlightClient.close() may throw InterruptedException
  ArrayNode concurrency(
      Location location, List<String> workloads, List<String> configs, List<Integer> sizes)
      throws Exception {
    ArrayNode out = new ObjectMapper().createArrayNode();
    int n = concurrencyClients;
    List<BenchClient> clients = new ArrayList<>(List.of(this));
    ExecutorService writers =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "bench-concurrent-writer");
              t.setDaemon(true);
              return t;
            });
    try {
      for (int i = 1; i < n; i++) {
        clients.add(
            new BenchClient(
                FlightClient.builder(allocator, location).build(), allocator, serverPid));
      }
      for (String wn : workloads) {
        Workload w = Workload.byName(wn);
        for (int batchRows : sizes) {
          try (Pool pool = pool(w, batchRows)) {
            for (ObjectNode cell :
                concurrencyCells(w, configs, batchRows, pool, clients, writers)) {
              out.add(cell);
              System.out.println("java  " + concurrencyLine(cell));
            }
          }
        }
      }
    } finally {
      writers.shutdownNow();
      for (BenchClient c : clients.subList(1, clients.size())) {
        c.readers.shutdownNow();
        c.client.close();
      }
    }
    return out;
  }

  /**
   * The cells of one workload and batch size: per configuration, 1 client and (when more than one)
   * all the clients. Verified, warmed up, then the timed rounds interleaved like {@link #cells}.
   */
  List<ObjectNode> concurrencyCells(
      Workload w,
      List<String> configs,
      int batchRows,
      Pool pool,
      List<BenchClient> clients,
      ExecutorService writers) {
    double bytesPerRow = (double) pool.bytes / ((long) pool.size() * batchRows);
    List<Integer> counts = clients.size() == 1 ? List.of(1) : List.of(1, clients.size());
    List<ObjectNode> cells = new ArrayList<>();
    List<FlightDescriptor> descriptors = new ArrayList<>();
    List<Long> batches = new ArrayList<>();
    long capBatches = Math.max(1, maxRows / batchRows);
    for (String config : configs) {
      FlightDescriptor d = descriptor(w, config);
      long perExchange = -1;
      for (int k : counts) {
        ObjectNode cell = new ObjectMapper().createObjectNode();
        cells.add(cell);
        descriptors.add(d);
        cell.put("workload", w.name());
        cell.put("config", config);
        cell.put("batch_rows", batchRows);
        cell.put("clients", k);
        List<BenchClient> cs = clients.subList(0, k);
        try {
          Round v = round(cs, writers, d, w, pool, Math.min(pool.size(), capBatches), true);
          cell.put("verified", true);
          cell.put("verified_rows", v.rows());
          // Warm up (by time) with this many clients; the one-client warm-up sizes the
          // exchanges of every client count, so each client runs the same exchanges.
          Round last = v;
          long start = System.nanoTime();
          while (warmupSeconds > 0 && (System.nanoTime() - start) / 1e9 < warmupSeconds) {
            long b = perExchange > 0 ? perExchange : batchesFor(last.rate(), batchRows, capBatches);
            last = round(cs, writers, d, w, pool, b, false);
          }
          if (perExchange < 0) {
            perExchange = batchesFor(last.rate(), batchRows, capBatches);
          }
          cell.put("batches_per_client", perExchange);
          cell.putArray("runs");
        } catch (Exception e) {
          fail(cell, e);
        }
        batches.add(perExchange);
      }
    }
    for (int r = 0; r < reps; r++) {
      for (int i = 0; i < cells.size(); i++) {
        ObjectNode cell = cells.get(i);
        if (!cell.path("verified").asBoolean()) {
          continue;
        }
        int k = cell.get("clients").asInt();
        try {
          double load = loadAverage();
          Round round =
              round(
                  clients.subList(0, k),
                  writers,
                  descriptors.get(i),
                  w,
                  pool,
                  batches.get(i),
                  false);
          ObjectNode o = ((ArrayNode) cell.get("runs")).addObject();
          o.put("rows", round.rows());
          o.put("seconds", round.seconds());
          o.put("rows_per_s", round.rate());
          ArrayNode each = o.putArray("client_seconds");
          round.runs().forEach(run -> each.add(run.seconds()));
          o.put("server_cpu_s", round.serverCpu());
          o.put("client_cpu_s", round.clientCpu());
          o.put("loadavg_1m", load);
        } catch (Exception e) {
          fail(cell, e);
        }
      }
    }
    ObjectNode one = null;
    for (ObjectNode cell : cells) {
      JsonNode runs = cell.path("runs");
      if (!cell.path("verified").asBoolean() || runs.isEmpty()) {
        continue;
      }
      double[] rates = new double[runs.size()];
      double[] serverNs = new double[runs.size()];
      double[] clientNs = new double[runs.size()];
      for (int r = 0; r < rates.length; r++) {
        JsonNode run = runs.get(r);
        double rows = run.path("rows").asDouble();
        rates[r] = run.path("rows_per_s").asDouble();
        serverNs[r] = run.path("server_cpu_s").asDouble() * 1e9 / rows;
        clientNs[r] = run.path("client_cpu_s").asDouble() * 1e9 / rows;
      }
      Report.putStats(cell, rates, bytesPerRow);
      cell.put("server_cpu_ns_per_row", serverPid.isEmpty() ? -1 : Stats.median(serverNs));
      cell.put("client_cpu_ns_per_row", Stats.median(clientNs));
      if (cell.get("clients").asInt() == 1) {
        one = cell;
      } else if (one != null && one.get("config").equals(cell.get("config"))) {
        cell.put(
            "scaling",
            cell.get("rows_per_s_median").asDouble() / one.get("rows_per_s_median").asDouble());
      }
    }
    return cells;
  }

  /**
   * The same exchange of {@code n} batches on every client at once: the clients' writer threads are
   * released by one barrier, and the round's time runs from that instant to the last client's end.
   * Throws the first client's failure.
   */
  Round round(
      List<BenchClient> cs,
      ExecutorService writers,
      FlightDescriptor d,
      Workload w,
      Pool pool,
      long n,
      boolean verify)
      throws Exception {
    AtomicLong t0 = new AtomicLong();
    CyclicBarrier barrier = new CyclicBarrier(cs.size(), () -> t0.set(System.nanoTime()));
    String self = "self";
    double serverCpu = serverPid.isEmpty() ? -1 : ProcStatus.cpuSeconds(serverPid);
    double clientCpu = ProcStatus.cpuSeconds(self);
    List<Future<long[]>> ends = new ArrayList<>();
    List<Run> runs = new ArrayList<>();
    for (BenchClient c : cs) {
      int index = runs.size();
      runs.add(null);
      Callable<long[]> task =
          () -> {
            barrier.await(1, TimeUnit.MINUTES);
            Run run = c.exchange(d, w, pool, n, verify);
            long end = System.nanoTime();
            synchronized (runs) {
              runs.set(index, run);
            }
            return new long[] {end};
          };
      ends.add(writers.submit(task));
    }
    long last = Long.MIN_VALUE;
    Exception failure = null;
    for (Future<long[]> f : ends) {
      try {
        last = Math.max(last, f.get(10, TimeUnit.MINUTES)[0]);
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof Exception c ? c : e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    double seconds = (last - t0.get()) / 1e9;
    double serverUsed = serverCpu < 0 ? -1 : ProcStatus.cpuSeconds(serverPid) - serverCpu;
    synchronized (runs) {
      return new Round(
          List.copyOf(runs), seconds, serverUsed, ProcStatus.cpuSeconds(self) - clientCpu);
    }
  }

  /** The 1-minute load average ({@code /proc/loadavg}), or -1. */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  static String concurrencyLine(JsonNode c) {
    String head =
        String.format(
            java.util.Locale.ROOT,
            "concurrency %-10s %-11s %8d rows/batch %d client%s: ",
            c.path("workload").asText(),
            c.path("config").asText(),
            c.path("batch_rows").asInt(),
            c.path("clients").asInt(),
            c.path("clients").asInt() == 1 ? " " : "s");
    if (!c.path("verified").asBoolean(false)) {
      return head + "FAILED: " + c.path("error").asText("not verified");
    }
    if (!c.has("rows_per_s_median")) {
      return head + "verified";
    }
    return head
        + String.format(
            java.util.Locale.ROOT,
            "%s Mrows/s [%s-%s] in all%s; CPU per row: server %s ns, client %s ns",
            Chart.number(c.get("rows_per_s_median").asDouble() / 1e6),
            Chart.number(c.get("rows_per_s_min").asDouble() / 1e6),
            Chart.number(c.get("rows_per_s_max").asDouble() / 1e6),
            c.has("scaling")
                ? String.format(
                    java.util.Locale.ROOT, ", %.2fx one client", c.get("scaling").asDouble())
                : "",
            Chart.number(c.path("server_cpu_ns_per_row").asDouble()),
            Chart.number(c.path("client_cpu_ns_per_row").asDouble()));
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
