package io.wasmflight.server;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** Command line entry point: {@code wasm-flight [options]}; {@code --help} lists them. */
public final class Main {
  private static final String USAGE =
      """
      usage: wasm-flight [options]
        --host HOST              address to bind (default 127.0.0.1)
        --port PORT              port to bind, 0 = any free port (default 8815)
        --data-dir DIR           where registered modules persist
                                 (default $WASM_FLIGHT_DATA_DIR or ~/.wasm-flight)
        --engine aot|interpreter default engine for exchanges (default aot)
        --max-memory-pages N     cap on a session's guest memory in 64 KiB pages (default 16384)
        --call-timeout-ms N      CPU-time limit of one guest call (one batch) (default 30000)
        --session-timeout-ms N   limit on a whole session, 0 = none (default 0)
        --output-budget-mb N     output a session buffers for a slow reader (default 256)
        --stall-timeout-ms N     end a session whose client neither writes nor reads for this
                                 long (default 60000)
        --register NAME=FILE     register FILE as module NAME at start (repeatable); the
                                 server reports ready only once all are registered
        --help                   this text
      operations (README "Operations"):
        --metrics-port N         serve /metrics (Prometheus) and /ready over HTTP on port N,
                                 0 = any free port (default: off)
        --metrics-host HOST      address the metrics port binds (default: --host)
      """;

  private static final java.util.Set<String> OPTIONS =
      java.util.Set.of(
          "--host",
          "--port",
          "--data-dir",
          "--engine",
          "--max-memory-pages",
          "--register",
          "--call-timeout-ms",
          "--session-timeout-ms",
          "--output-budget-mb",
          "--stall-timeout-ms",
          // operations
          "--metrics-port",
          "--metrics-host");

  private Main() {}

  public static void main(String[] args) throws Exception {
    ServerConfig config = ServerConfig.defaults();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.print(USAGE);
        return;
      }
      if (!OPTIONS.contains(a)) {
        fail("unknown option " + a);
      }
      if (i + 1 >= args.length) {
        fail("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--host" -> config = config.withHost(v);
        case "--port" -> config = config.withPort(parseInt(a, v));
        case "--data-dir" -> config = config.withDataDir(Path.of(v));
        case "--engine" -> config = config.withDefaultEngine(Engine.parse(v));
        case "--max-memory-pages" -> config = config.withMaxMemoryPages(parseInt(a, v));
        case "--call-timeout-ms" ->
            config = config.withCallTimeout(java.time.Duration.ofMillis(parseInt(a, v)));
        case "--session-timeout-ms" ->
            config = config.withSessionTimeout(java.time.Duration.ofMillis(parseInt(a, v)));
        case "--output-budget-mb" ->
            config = config.withOutputBudgetBytes((long) parseInt(a, v) << 20);
        case "--stall-timeout-ms" ->
            config = config.withStallTimeout(java.time.Duration.ofMillis(parseInt(a, v)));
        case "--register" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) {
            fail("--register takes NAME=FILE, got " + v);
          }
          config = config.withPreload(v.substring(0, eq), Path.of(v.substring(eq + 1)));
        }
        // operations
        case "--metrics-port" -> config = config.withMetricsPort(parseInt(a, v));
        case "--metrics-host" -> config = config.withMetricsHost(v);
        default -> fail("unknown option " + a);
      }
    }
    BufferAllocator root = new RootAllocator();
    WasmFlightServer server;
    try {
      server = WasmFlightServer.start(config, root);
    } catch (WasmFlightException | java.io.UncheckedIOException e) {
      fail(e.getMessage());
      return;
    }
    for (ServerConfig.Preload p : config.preloads()) {
      System.out.println("registered module '" + p.name() + "' from " + p.file());
    }
    if (server.metricsPort() >= 0) {
      System.out.println(
          "wasm-flight metrics on http://"
              + config.metricsHost()
              + ":"
              + server.metricsPort()
              + "/metrics (readiness: /ready)");
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                    root.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "wasm-flight-shutdown"));
    System.out.println(
        "wasm-flight listening on grpc://"
            + config.host()
            + ":"
            + server.port()
            + " (data dir "
            + config.dataDir()
            + ", default engine "
            + config.defaultEngine().wireName()
            + ")");
    System.out.flush();
    server.awaitTermination();
  }

  private static int parseInt(String option, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      fail(option + " takes a number, got " + v);
      return 0;
    }
  }

  private static void fail(String message) {
    System.err.println("wasm-flight: " + message);
    System.err.print(USAGE);
    System.exit(2);
  }
}
