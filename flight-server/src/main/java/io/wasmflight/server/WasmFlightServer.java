package io.wasmflight.server;

import io.wasmflight.server.internal.flight.WasmFlightProducer;
import io.wasmflight.server.internal.ops.ClientDisconnects;
import io.wasmflight.server.internal.ops.Readiness;
import io.wasmflight.server.internal.ops.ServerMetrics;
import io.wasmflight.server.internal.registry.ModuleRegistry;
import io.wasmflight.server.internal.security.UsersFile;
import io.wasmflight.server.internal.wire.ArrowMessages;
import io.wasmflight.server.internal.wire.InputReadGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A running wasm-flight server. The caller owns the {@link BufferAllocator} (one root per process)
 * and closes it after the server; closing it is the leak check.
 *
 * <pre>{@code
 * try (BufferAllocator root = new RootAllocator();
 *      WasmFlightServer server = WasmFlightServer.start(ServerConfig.defaults().withPort(0), root)) {
 *   System.out.println(server.location());
 * }
 * }</pre>
 */
@SuppressWarnings("try") // close() waits for in-flight calls to end, so it may be interrupted
public final class WasmFlightServer implements AutoCloseable {
  private final FlightServer flight;
  private final WasmFlightProducer producer;
  private final BufferAllocator allocator;
  private final ServerMetrics metrics;
  private final Readiness readiness;
  private final ServerConfig config;
  private int metricsPort = -1;
  private boolean closed;
  private final String securityMode;

  private WasmFlightServer(
      FlightServer flight,
      WasmFlightProducer producer,
      BufferAllocator allocator,
      ServerMetrics metrics,
      Readiness readiness,
      ServerConfig config,
      String securityMode) {
    this.flight = flight;
    this.producer = producer;
    this.allocator = allocator;
    this.metrics = metrics;
    this.readiness = readiness;
    this.config = config;
    this.securityMode = securityMode;
  }

  /**
   * Loads the persisted modules, opens the port, registers the {@link ServerConfig#preloads()} and
   * returns once the server is ready. Until then the port is open but the gRPC health service says
   * NOT_SERVING and every Flight call fails with UNAVAILABLE "starting: loading N modules", so a
   * client that connects as soon as the port opens never sees a half-loaded server.
   *
   * @throws IllegalArgumentException when the security settings are refused: plaintext or no users
   *     file on a non-loopback address without the explicit {@code allowPlaintext} / {@code
   *     allowAnonymous}, an unreadable users file or TLS file
   */
  public static WasmFlightServer start(ServerConfig config, BufferAllocator parent) {
    WasmFlightServer server = listen(config, parent);
    try {
      server.finishStarting();
    } catch (RuntimeException e) {
      server.closeQuietly();
      throw e;
    }
    return server;
  }

  /**
   * The first half of {@link #start}: the persisted modules loaded and the ports open, the server
   * not yet ready (health NOT_SERVING, Flight calls UNAVAILABLE) until {@link #finishStarting()}.
   */
  public static WasmFlightServer listen(ServerConfig config, BufferAllocator parent) {
    ClientDisconnects.install();
    UsersFile users = SecuritySetup.check(config);
    ModuleRegistry registry = new ModuleRegistry(config);
    registry.loadPersisted();
    ServerMetrics metrics = new ServerMetrics(() -> registry.list().size());
    Readiness readiness = new Readiness();
    readiness.loading(config.preloads().size());
    BufferAllocator allocator = parent.newChildAllocator("wasm-flight-server", 0, Long.MAX_VALUE);
    WasmFlightProducer producer =
        new WasmFlightProducer(allocator, registry, config, metrics, users);
    // A register body carries the module as base64 (4/3 of its size) plus a little JSON.
    long maxMessage = Math.min(Integer.MAX_VALUE, config.maxModuleBytes() * 4 / 3 + (1 << 20));
    boolean tls = config.tlsCertChain() != null;
    Location where =
        tls
            ? Location.forGrpcTls(config.host(), config.port())
            : Location.forGrpcInsecure(config.host(), config.port());
    FlightServer.Builder builder = FlightServer.builder(allocator, where, producer);
    try {
      if (tls) {
        builder.useTls(config.tlsCertChain().toFile(), config.tlsPrivateKey().toFile());
        if (config.tlsClientCa() != null) {
          builder.useMTlsClientVerification(config.tlsClientCa().toFile());
        }
      }
    } catch (IOException e) {
      allocator.close();
      throw new IllegalArgumentException("cannot read the TLS files: " + e.getMessage(), e);
    }
    if (users != null) {
      builder.headerAuthenticator(WasmFlightProducer.authenticator(users));
    }
    FlightServer flight =
        builder
            .maxInboundMessageSize((int) maxMessage)
            .transportHint(
                "grpc.builderConsumer",
                (java.util.function.Consumer<io.grpc.netty.NettyServerBuilder>)
                    b -> {
                      b.intercept(new InputReadGuard());
                      b.intercept(readiness);
                      b.addService(readiness.healthService());
                      // Flight's data messages with one copy each way instead of two.
                      b.setBinaryLog(
                          ArrowMessages.fastMarshalling(InputReadGuard.requestScanner()));
                    })
            .build();
    try {
      flight.start();
    } catch (IOException e) {
      allocator.close();
      throw new UncheckedIOException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    WasmFlightServer server =
        new WasmFlightServer(
            flight,
            producer,
            allocator,
            metrics,
            readiness,
            config,
            SecuritySetup.describe(config, users));
    if (config.metricsPort() >= 0) {
      try {
        server.metricsPort =
            metrics.serve(config.metricsHost(), config.metricsPort(), readiness::isReady);
      } catch (RuntimeException e) {
        server.closeQuietly();
        throw e;
      }
    }
    return server;
  }

  /**
   * Registers the {@link ServerConfig#preloads()} in order, then reports ready (health SERVING) and
   * lets Flight calls through. A module that cannot be read or registered fails the start.
   */
  public void finishStarting() {
    for (ServerConfig.Preload p : config.preloads()) {
      byte[] wasm;
      try {
        wasm = Files.readAllBytes(p.file());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p.file() + ": " + e.getMessage(), e);
      }
      try {
        producer.register(p.name(), wasm);
      } catch (WasmFlightException e) {
        throw e.at("preload " + p.name() + "=" + p.file());
      }
    }
    readiness.ready();
  }

  /** Whether the server serves Flight calls (see {@link #start}). */
  public boolean isReady() {
    return readiness.isReady();
  }

  /** The port of the operator endpoint ({@code /metrics}, {@code /ready}), or -1 when off. */
  public int metricsPort() {
    return metricsPort;
  }

  /**
   * How the server is secured, one line for the start-up log: TLS or plaintext (and why allowed),
   * mutual TLS, the users file or anonymous access, the quotas.
   */
  public String securityMode() {
    return securityMode;
  }

  /** DoExchange sessions open now. */
  public int openSessions() {
    return producer.openSessions();
  }

  /** Guest memory reserved by the open sessions (their memory caps), in bytes. */
  public long reservedGuestMemoryBytes() {
    return producer.reservedGuestMemoryBytes();
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return flight.getPort();
  }

  /** The address clients connect to. */
  public Location location() {
    return flight.getLocation();
  }

  /** Registers a module directly (as the {@code register} action does); returns its JSON. */
  public String register(String name, byte[] wasm) {
    return producer.register(name, wasm);
  }

  /**
   * Makes a Java map reachable with DoExchange at {@code [module, function]}, unsandboxed. For
   * benchmarks and built-ins ({@link NativeFunction#ECHO}); not persisted.
   */
  public void registerNative(String module, String function, NativeFunction f) {
    producer.registerNative(module, function, f);
  }

  /**
   * Makes a Java function of any kind (filter, table, aggregate) reachable with DoExchange at
   * {@code [module, function]}, unsandboxed, one {@link NativeKernel} per session. For benchmarks
   * and built-ins; not persisted.
   */
  public void registerNative(String module, String function, NativeKernel.Factory kernels) {
    producer.registerNative(module, function, kernels);
  }

  /** Blocks until the server stops. */
  public void awaitTermination() throws InterruptedException {
    flight.awaitTermination();
  }

  /** {@link #close()} for a failed start: the cause of the failure is what the caller reports. */
  private void closeQuietly() {
    try {
      close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Health NOT_SERVING at once, then the server stops (in-flight calls get 10 s to end). A second
   * call does nothing.
   */
  @Override
  public void close() throws InterruptedException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    readiness.shutdown();
    metrics.close();
    flight.shutdown();
    if (!flight.awaitTermination(10, TimeUnit.SECONDS)) {
      flight.close();
    }
    flight.close();
    allocator.close();
  }
}
