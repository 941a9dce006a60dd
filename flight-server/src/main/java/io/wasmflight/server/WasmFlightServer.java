package io.wasmflight.server;

import io.wasmflight.server.internal.flight.WasmFlightProducer;
import io.wasmflight.server.internal.registry.ModuleRegistry;
import io.wasmflight.server.internal.security.UsersFile;
import io.wasmflight.server.internal.wire.InputReadGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
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
  private final String securityMode;

  private WasmFlightServer(
      FlightServer flight,
      WasmFlightProducer producer,
      BufferAllocator allocator,
      String securityMode) {
    this.flight = flight;
    this.producer = producer;
    this.allocator = allocator;
    this.securityMode = securityMode;
  }

  /**
   * Loads the persisted modules and starts serving.
   *
   * @throws IllegalArgumentException when the security settings are refused: plaintext or no users
   *     file on a non-loopback address without the explicit {@code allowPlaintext} / {@code
   *     allowAnonymous}, an unreadable users file or TLS file
   */
  public static WasmFlightServer start(ServerConfig config, BufferAllocator parent) {
    UsersFile users = SecuritySetup.check(config);
    ModuleRegistry registry = new ModuleRegistry(config);
    registry.loadPersisted();
    BufferAllocator allocator = parent.newChildAllocator("wasm-flight-server", 0, Long.MAX_VALUE);
    WasmFlightProducer producer = new WasmFlightProducer(allocator, registry, config, users);
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
                      b.setBinaryLog(InputReadGuard.requestScanner());
                    })
            .build();
    try {
      flight.start();
    } catch (IOException e) {
      allocator.close();
      throw new UncheckedIOException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    return new WasmFlightServer(flight, producer, allocator, SecuritySetup.describe(config, users));
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

  @Override
  public void close() throws InterruptedException {
    flight.shutdown();
    if (!flight.awaitTermination(10, TimeUnit.SECONDS)) {
      flight.close();
    }
    flight.close();
    allocator.close();
  }
}
