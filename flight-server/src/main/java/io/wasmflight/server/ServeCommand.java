package io.wasmflight.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wasm-flight serve}: starts the server. Every option maps to one {@link ServerConfig}
 * {@code withX} call in {@link #config()}; a new server option is one annotated field plus one line
 * there.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    versionProvider = ServeCommand.Version.class,
    description = "Start the wasm-flight server.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped normally (Ctrl-C, SIGTERM)",
      "1:the server failed, a module given with --register was refused",
      "2:usage: an unknown option or a value out of range"
    })
public final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description = "address to bind (default ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8815",
      description = "port to bind, 0 = any free port (default ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "where registered modules persist (default $WASM_FLIGHT_DATA_DIR or ~/.wasm-flight)")
  Path dataDir;

  @Option(
      names = "--engine",
      paramLabel = "aot|interpreter",
      defaultValue = "aot",
      description = "default engine for exchanges (default ${DEFAULT-VALUE})")
  String engine;

  @Option(
      names = "--max-memory-pages",
      paramLabel = "N",
      defaultValue = "16384",
      description = "cap on a session's guest memory in 64 KiB pages (default ${DEFAULT-VALUE})")
  int maxMemoryPages;

  @Option(
      names = "--call-timeout-ms",
      paramLabel = "N",
      defaultValue = "30000",
      description = "CPU-time limit of one guest call (one batch) (default ${DEFAULT-VALUE})")
  long callTimeoutMs;

  @Option(
      names = "--session-timeout-ms",
      paramLabel = "N",
      defaultValue = "0",
      description = "limit on a whole session, 0 = none (default ${DEFAULT-VALUE})")
  long sessionTimeoutMs;

  @Option(
      names = "--output-budget-mb",
      paramLabel = "N",
      defaultValue = "256",
      description = "output a session buffers for a slow reader (default ${DEFAULT-VALUE})")
  int outputBudgetMb;

  @Option(
      names = "--stall-timeout-ms",
      paramLabel = "N",
      defaultValue = "60000",
      description =
          "end a session whose client neither writes nor reads for this long"
              + " (default ${DEFAULT-VALUE})")
  long stallTimeoutMs;

  @Option(
      names = "--register",
      paramLabel = "NAME=FILE",
      description =
          "register FILE as module NAME at start (repeatable); the server reports ready only"
              + " once all are registered")
  List<String> registrations = new ArrayList<>();

  @Option(
      names = "--register-new",
      paramLabel = "NAME=FILE",
      description =
          "like --register, but keep a module NAME already in the data dir with other bytes"
              + " (run-server.sh registers the examples so; repeatable)")
  List<String> newRegistrations = new ArrayList<>();

  // Operations (README "Operations").
  @Option(
      names = "--metrics-port",
      paramLabel = "N",
      description =
          "serve /metrics (Prometheus) and /ready over HTTP on port N, 0 = any free port"
              + " (default: off)")
  Integer metricsPort;

  @Option(
      names = "--metrics-host",
      paramLabel = "HOST",
      description = "address the metrics port binds (default: --host)")
  String metricsHost;

  // Security (README "Deploying").
  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description = "PEM certificate chain: serve TLS (grpc+tls://); needs --tls-key")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) private key")
  Path tlsKey;

  @Option(
      names = "--tls-client-ca",
      paramLabel = "FILE",
      description = "PEM CA: require client certificates it signed (mutual TLS)")
  Path tlsClientCa;

  @Option(
      names = "--users-file",
      paramLabel = "FILE",
      description =
          "principals, roles and hashed secrets, reloaded on change (without it every client is"
              + " admin)")
  Path usersFile;

  @Option(
      names = "--allow-plaintext",
      description = "allow plaintext gRPC on a non-loopback --host")
  boolean allowPlaintext;

  @Option(
      names = "--allow-anonymous",
      description = "allow no --users-file on a non-loopback --host")
  boolean allowAnonymous;

  @Option(
      names = "--max-sessions",
      paramLabel = "N",
      defaultValue = "0",
      description = "sessions open at once, 0 = no cap (default ${DEFAULT-VALUE})")
  int maxSessions;

  @Option(
      names = "--max-sessions-per-principal",
      paramLabel = "N",
      defaultValue = "0",
      description = "sessions one principal may have open, 0 = no cap (default ${DEFAULT-VALUE})")
  int maxSessionsPerPrincipal;

  @Option(
      names = "--max-guest-memory-mb",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "guest memory all sessions may reach together (each reserves its memory cap at"
              + " admission), 0 = no cap (default ${DEFAULT-VALUE})")
  long maxGuestMemoryMb;

  @Option(
      names = "--register-rate",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "register calls per principal per minute, 0 = no limit (default ${DEFAULT-VALUE})")
  int registerRate;

  /** The configuration the options describe; a value out of range is a usage error. */
  ServerConfig config() {
    try {
      ServerConfig c =
          ServerConfig.defaults()
              .withHost(host)
              .withPort(port)
              .withDefaultEngine(Engine.parse(engine))
              .withMaxMemoryPages(maxMemoryPages)
              .withCallTimeout(Duration.ofMillis(callTimeoutMs))
              .withSessionTimeout(Duration.ofMillis(sessionTimeoutMs))
              .withOutputBudgetBytes((long) outputBudgetMb << 20)
              .withStallTimeout(Duration.ofMillis(stallTimeoutMs));
      if ((tlsCert == null) != (tlsKey == null)) {
        throw new IllegalArgumentException("--tls-cert and --tls-key go together");
      }
      if (tlsCert != null) {
        c = c.withTls(tlsCert, tlsKey);
      }
      if (tlsClientCa != null) {
        c = c.withTlsClientCa(tlsClientCa);
      }
      if (usersFile != null) {
        c = c.withUsersFile(usersFile);
      }
      c =
          c.withAllowPlaintext(allowPlaintext)
              .withAllowAnonymous(allowAnonymous)
              .withMaxSessions(maxSessions)
              .withMaxSessionsPerPrincipal(maxSessionsPerPrincipal)
              .withMaxGuestMemoryBytes(maxGuestMemoryMb << 20)
              .withRegisterRatePerMinute(registerRate);
      if (metricsPort != null) {
        c = c.withMetricsPort(metricsPort);
      }
      if (metricsHost != null) {
        c = c.withMetricsHost(metricsHost);
      }
      return dataDir == null ? c : c.withDataDir(dataDir);
    } catch (IllegalArgumentException | WasmFlightException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String[]> modules = new ArrayList<>();
    for (String r : registrations) {
      modules.add(nameAndFile("--register", r));
    }
    for (String r : newRegistrations) {
      String[] m = nameAndFile("--register-new", r);
      if (keepsExisting(config.dataDir(), m)) {
        out.println("kept module '" + m[0] + "' of the data dir (other bytes than " + m[1] + ")");
      } else {
        modules.add(m);
      }
    }
    for (String[] m : modules) {
      config = config.withPreload(m[0], Path.of(m[1]));
    }
    BufferAllocator root = new RootAllocator();
    WasmFlightServer server;
    try {
      // Preloaded modules are registered before the server reports ready (health SERVING).
      server = WasmFlightServer.start(config, root);
    } catch (WasmFlightException | UncheckedIOException | IllegalArgumentException e) {
      err.println("wasm-flight: " + e.getMessage());
      err.flush();
      root.close();
      return 1;
    }
    for (ServerConfig.Preload p : config.preloads()) {
      out.println("registered module '" + p.name() + "' from " + p.file());
    }
    if (server.metricsPort() >= 0) {
      out.println(
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
    // Before the "listening" line, which clients wait for.
    out.println("wasm-flight security: " + server.securityMode());
    out.println(
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
    out.flush();
    server.awaitTermination();
    return 0;
  }

  private String[] nameAndFile(String option, String value) {
    int eq = value.indexOf('=');
    if (eq <= 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), option + " takes NAME=FILE, got " + value);
    }
    return new String[] {value.substring(0, eq), value.substring(eq + 1)};
  }

  /**
   * Whether the data dir already holds a module of that name with other bytes than the file:
   * versions persist as {@code <data-dir>/modules/<name>/<version>.wasm} (flight-protocol.md), a
   * module of an older server as {@code <data-dir>/modules/<name>.wasm}. Registering the same bytes
   * again is a no-op of the registry, so only other bytes are kept out.
   */
  private static boolean keepsExisting(Path dataDir, String[] module) {
    Path modules = dataDir.resolve("modules");
    Path file = Path.of(module[1]);
    try {
      List<Path> existing = new ArrayList<>();
      Path flat = modules.resolve(module[0] + ".wasm");
      if (Files.isRegularFile(flat)) {
        existing.add(flat);
      }
      Path dir = modules.resolve(module[0]);
      if (Files.isDirectory(dir)) {
        try (var versions = Files.newDirectoryStream(dir, "*.wasm")) {
          versions.forEach(existing::add);
        }
      }
      if (existing.isEmpty()) {
        return false;
      }
      for (Path e : existing) {
        if (Files.mismatch(e, file) == -1L) {
          return false; // these bytes are there already: registering them changes nothing
        }
      }
      return true;
    } catch (IOException e) {
      return false; // an unreadable FILE fails at registration with its own message
    }
  }

  /** The version from the jar's manifest, or "development build". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ServeCommand.class.getPackage().getImplementationVersion();
      return new String[] {"wasm-flight " + (v == null ? "(development build)" : v)};
    }
  }
}
