package io.wasmflight.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        --register NAME=FILE     register FILE as module NAME at start (repeatable)
        --help                   this text
      security (README "Deploying"):
        --tls-cert FILE          PEM certificate chain: serve TLS (grpc+tls://)
        --tls-key FILE           PEM (PKCS#8) private key of --tls-cert
        --tls-client-ca FILE     PEM CA: require client certificates it signed (mutual TLS)
        --users-file FILE        principals, roles and hashed secrets; reloaded on change
                                 (without it every client is admin)
        --allow-plaintext        allow plaintext gRPC on a non-loopback --host
        --allow-anonymous        allow no --users-file on a non-loopback --host
        --max-sessions N         sessions open at once, 0 = no cap (default 0)
        --max-sessions-per-principal N  same per principal, 0 = no cap (default 0)
        --max-guest-memory-mb N  guest memory all sessions may reach together (each reserves
                                 its memory cap at admission), 0 = no cap (default 0)
        --register-rate N        register calls per principal per minute, 0 = no limit
      wasm-flight hash-secret [--token | --new-token]
                                 print a users-file secret for a password (or token) on stdin
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
          // security
          "--tls-cert",
          "--tls-key",
          "--tls-client-ca",
          "--users-file",
          "--max-sessions",
          "--max-sessions-per-principal",
          "--max-guest-memory-mb",
          "--register-rate");

  /** Security options without a value. */
  private static final java.util.Set<String> SECURITY_FLAGS =
      java.util.Set.of("--allow-plaintext", "--allow-anonymous");

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("hash-secret")) {
      HashSecret.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    ServerConfig config = ServerConfig.defaults();
    List<String[]> registrations = new ArrayList<>();
    Path tlsCert = null;
    Path tlsKey = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.print(USAGE);
        return;
      }
      // ---- security flags (no value) ----
      if (SECURITY_FLAGS.contains(a)) {
        config =
            a.equals("--allow-plaintext")
                ? config.withAllowPlaintext(true)
                : config.withAllowAnonymous(true);
        continue;
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
        // ---- security options ----
        case "--tls-cert" -> tlsCert = Path.of(v);
        case "--tls-key" -> tlsKey = Path.of(v);
        case "--tls-client-ca" -> config = config.withTlsClientCa(Path.of(v));
        case "--users-file" -> config = config.withUsersFile(Path.of(v));
        case "--max-sessions" -> config = config.withMaxSessions(parseInt(a, v));
        case "--max-sessions-per-principal" ->
            config = config.withMaxSessionsPerPrincipal(parseInt(a, v));
        case "--max-guest-memory-mb" ->
            config = config.withMaxGuestMemoryBytes((long) parseInt(a, v) << 20);
        case "--register-rate" -> config = config.withRegisterRatePerMinute(parseInt(a, v));
        // ---- end of security options ----
        case "--register" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) {
            fail("--register takes NAME=FILE, got " + v);
          }
          registrations.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
        }
        default -> fail("unknown option " + a);
      }
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      fail("--tls-cert and --tls-key go together");
    }
    if (tlsCert != null) {
      config = config.withTls(tlsCert, tlsKey);
    }
    BufferAllocator root = new RootAllocator();
    WasmFlightServer server;
    try {
      server = WasmFlightServer.start(config, root);
    } catch (IllegalArgumentException e) {
      fail(e.getMessage());
      return;
    }
    for (String[] r : registrations) {
      byte[] wasm;
      try {
        wasm = Files.readAllBytes(Path.of(r[1]));
      } catch (IOException e) {
        fail("cannot read " + r[1] + ": " + e.getMessage());
        return;
      }
      try {
        server.register(r[0], wasm);
      } catch (WasmFlightException e) {
        fail("cannot register " + r[1] + " as '" + r[0] + "': " + e.getMessage());
      }
      System.out.println("registered module '" + r[0] + "' from " + r[1]);
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
    // Before the "listening" line, which clients wait for.
    System.out.println("wasm-flight security: " + server.securityMode());
    System.out.println(
        "wasm-flight listening on "
            + (config.tlsCertChain() == null ? "grpc://" : "grpc+tls://")
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
