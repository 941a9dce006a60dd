package io.wasmflight.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Server settings. Immutable; every {@code withX} returns a validated copy. Defaults are safe for a
 * shared server; {@code proto-docs/errors.md} ("Limits") says what each limit bounds and what a
 * client sees when it is hit. An exchange may ask for lower limits, never higher ones.
 */
public final class ServerConfig {
  /** Default data directory: {@code $WASM_FLIGHT_DATA_DIR}, else {@code ~/.wasm-flight}. */
  public static Path defaultDataDir() {
    String env = System.getenv("WASM_FLIGHT_DATA_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".wasm-flight");
  }

  private String host = "127.0.0.1";
  private int port = 8815;
  private Path dataDir;
  private Engine defaultEngine = Engine.AOT;
  private int maxMemoryPages = 16384;
  private long maxModuleBytes = 64L << 20;
  private long maxOutputBytesPerBatch = 512L << 20;
  private long exchangeMemoryLimit = 2L << 30;
  private Duration callTimeout = Duration.ofSeconds(30);
  private Duration sessionTimeout = Duration.ZERO;
  private Duration compileTimeout = Duration.ofSeconds(60);
  private long outputBudgetBytes = 256L << 20;
  private Duration stallTimeout = Duration.ofSeconds(60);
  private int metricsPort = -1;
  private String metricsHost;
  private List<Preload> preloads = List.of();

  /**
   * A module registered at start, before the server reports ready ({@code --register NAME=FILE}).
   */
  public record Preload(String name, Path file) {
    public Preload {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(file, "file");
    }
  }

  // Security (README "Deploying"): TLS, users file, quotas.
  private Path tlsCertChain;
  private Path tlsPrivateKey;
  private Path tlsClientCa;
  private Path usersFile;
  private boolean allowPlaintext;
  private boolean allowAnonymous;
  private int maxSessions;
  private int maxSessionsPerPrincipal;
  private long maxGuestMemoryBytes;
  private int registerRatePerMinute;

  private ServerConfig() {}

  /**
   * 127.0.0.1:8815, {@link #defaultDataDir()}, AOT; per session: 16384 memory pages (1 GiB), 30 s
   * per call, no session time limit, 512 MiB output per batch, 2 GiB Arrow memory; modules up to 64
   * MiB compiled within 60 s.
   */
  public static ServerConfig defaults() {
    ServerConfig c = new ServerConfig();
    c.dataDir = defaultDataDir();
    return c;
  }

  private ServerConfig copy() {
    ServerConfig c = new ServerConfig();
    c.host = host;
    c.port = port;
    c.dataDir = dataDir;
    c.defaultEngine = defaultEngine;
    c.maxMemoryPages = maxMemoryPages;
    c.maxModuleBytes = maxModuleBytes;
    c.maxOutputBytesPerBatch = maxOutputBytesPerBatch;
    c.exchangeMemoryLimit = exchangeMemoryLimit;
    c.callTimeout = callTimeout;
    c.sessionTimeout = sessionTimeout;
    c.compileTimeout = compileTimeout;
    c.outputBudgetBytes = outputBudgetBytes;
    c.stallTimeout = stallTimeout;
    c.metricsPort = metricsPort;
    c.metricsHost = metricsHost;
    c.preloads = preloads;
    c.tlsCertChain = tlsCertChain;
    c.tlsPrivateKey = tlsPrivateKey;
    c.tlsClientCa = tlsClientCa;
    c.usersFile = usersFile;
    c.allowPlaintext = allowPlaintext;
    c.allowAnonymous = allowAnonymous;
    c.maxSessions = maxSessions;
    c.maxSessionsPerPrincipal = maxSessionsPerPrincipal;
    c.maxGuestMemoryBytes = maxGuestMemoryBytes;
    c.registerRatePerMinute = registerRatePerMinute;
    return c;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Engine defaultEngine() {
    return defaultEngine;
  }

  /** Cap on a session instance's linear memory, in 64 KiB pages. */
  public int maxMemoryPages() {
    return maxMemoryPages;
  }

  /** Largest accepted {@code .wasm} size at registration. */
  public long maxModuleBytes() {
    return maxModuleBytes;
  }

  /** Largest total size of the buffers of one output batch. */
  public long maxOutputBytesPerBatch() {
    return maxOutputBytesPerBatch;
  }

  /** Limit of the Arrow child allocator of one exchange. */
  public long exchangeMemoryLimit() {
    return exchangeMemoryLimit;
  }

  /** CPU-time limit of one guest call (one batch, or instantiation). */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** Limit on a whole session's duration, or {@link Duration#ZERO} for none. */
  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  /** Limit on compiling a module at registration. */
  public Duration compileTimeout() {
    return compileTimeout;
  }

  /**
   * Output a session buffers for a client that does not read as fast as the function produces; only
   * beyond it does the function wait for the client.
   */
  public long outputBudgetBytes() {
    return outputBudgetBytes;
  }

  /** How long a session may wait on a client that neither sends input nor reads output. */
  public Duration stallTimeout() {
    return stallTimeout;
  }

  /** Port of the operator HTTP endpoint ({@code /metrics}, {@code /ready}); -1 = off (default). */
  public int metricsPort() {
    return metricsPort;
  }

  /** Address the operator endpoint binds: by default the Flight {@link #host()}. */
  public String metricsHost() {
    return metricsHost != null ? metricsHost : host;
  }

  /** Modules registered at start, in order, before the server is ready. */
  public List<Preload> preloads() {
    return preloads;
  }

  public ServerConfig withHost(String v) {
    ServerConfig c = copy();
    c.host = Objects.requireNonNull(v, "host");
    return c;
  }

  public ServerConfig withPort(int v) {
    require(v >= 0 && v <= 65535, "port out of range: " + v);
    ServerConfig c = copy();
    c.port = v;
    return c;
  }

  public ServerConfig withDataDir(Path v) {
    ServerConfig c = copy();
    c.dataDir = Objects.requireNonNull(v, "dataDir");
    return c;
  }

  public ServerConfig withDefaultEngine(Engine v) {
    ServerConfig c = copy();
    c.defaultEngine = Objects.requireNonNull(v, "defaultEngine");
    return c;
  }

  public ServerConfig withMaxMemoryPages(int v) {
    require(v >= 1 && v <= 32767, "maxMemoryPages must be 1..32767: " + v);
    ServerConfig c = copy();
    c.maxMemoryPages = v;
    return c;
  }

  public ServerConfig withMaxModuleBytes(long v) {
    require(v >= 8, "maxModuleBytes must be at least 8: " + v);
    ServerConfig c = copy();
    c.maxModuleBytes = v;
    return c;
  }

  public ServerConfig withMaxOutputBytesPerBatch(long v) {
    require(v >= 1, "maxOutputBytesPerBatch must be positive: " + v);
    ServerConfig c = copy();
    c.maxOutputBytesPerBatch = v;
    return c;
  }

  public ServerConfig withExchangeMemoryLimit(long v) {
    require(v >= 1, "exchangeMemoryLimit must be positive: " + v);
    ServerConfig c = copy();
    c.exchangeMemoryLimit = v;
    return c;
  }

  public ServerConfig withCallTimeout(Duration v) {
    require(v.toMillis() >= 1, "callTimeout must be at least 1 ms: " + v);
    ServerConfig c = copy();
    c.callTimeout = v;
    return c;
  }

  /** {@link Duration#ZERO} turns the session limit off. */
  public ServerConfig withSessionTimeout(Duration v) {
    require(v.isZero() || v.toMillis() >= 1, "sessionTimeout must be 0 (none) or >= 1 ms: " + v);
    ServerConfig c = copy();
    c.sessionTimeout = v;
    return c;
  }

  public ServerConfig withCompileTimeout(Duration v) {
    require(v.toMillis() >= 1, "compileTimeout must be at least 1 ms: " + v);
    ServerConfig c = copy();
    c.compileTimeout = v;
    return c;
  }

  public ServerConfig withOutputBudgetBytes(long v) {
    require(v >= 1, "outputBudgetBytes must be positive: " + v);
    ServerConfig c = copy();
    c.outputBudgetBytes = v;
    return c;
  }

  public ServerConfig withStallTimeout(Duration v) {
    require(v.toMillis() >= 1, "stallTimeout must be at least 1 ms: " + v);
    ServerConfig c = copy();
    c.stallTimeout = v;
    return c;
  }

  /** 0 = any free port ({@link WasmFlightServer#metricsPort()} says which), -1 = off. */
  public ServerConfig withMetricsPort(int v) {
    require(v >= -1 && v <= 65535, "metrics port out of range: " + v);
    ServerConfig c = copy();
    c.metricsPort = v;
    return c;
  }

  public ServerConfig withMetricsHost(String v) {
    ServerConfig c = copy();
    c.metricsHost = Objects.requireNonNull(v, "metricsHost");
    return c;
  }

  /** Adds a module to register at start (see {@link Preload}). */
  public ServerConfig withPreload(String name, Path file) {
    ServerConfig c = copy();
    List<Preload> all = new ArrayList<>(preloads);
    all.add(new Preload(name, file));
    c.preloads = List.copyOf(all);
    return c;
  }

  // ---- Security: TLS, authentication, quotas (README "Deploying") ----

  /** PEM certificate chain of the server's TLS identity, or null for plaintext gRPC. */
  public Path tlsCertChain() {
    return tlsCertChain;
  }

  /** PEM (PKCS#8) private key matching {@link #tlsCertChain()}, or null. */
  public Path tlsPrivateKey() {
    return tlsPrivateKey;
  }

  /** PEM CA certificate(s) client certificates must chain to (mutual TLS), or null for none. */
  public Path tlsClientCa() {
    return tlsClientCa;
  }

  /** The users file (principals, roles, hashed secrets), or null for no authentication. */
  public Path usersFile() {
    return usersFile;
  }

  /** Whether plaintext gRPC may bind a non-loopback address. */
  public boolean allowPlaintext() {
    return allowPlaintext;
  }

  /** Whether a server without a users file may bind a non-loopback address. */
  public boolean allowAnonymous() {
    return allowAnonymous;
  }

  /** Cap on the DoExchange sessions open at once, 0 for none. */
  public int maxSessions() {
    return maxSessions;
  }

  /** Cap on the sessions one principal has open at once, 0 for none. */
  public int maxSessionsPerPrincipal() {
    return maxSessionsPerPrincipal;
  }

  /**
   * Cap on the guest memory all open sessions may reach together (each reserves its memory cap at
   * admission), 0 for none.
   */
  public long maxGuestMemoryBytes() {
    return maxGuestMemoryBytes;
  }

  /** Register calls a principal may make per minute, 0 for no limit. */
  public int registerRatePerMinute() {
    return registerRatePerMinute;
  }

  /** Serves TLS with this PEM certificate chain and PEM (PKCS#8) private key. */
  public ServerConfig withTls(Path certChain, Path privateKey) {
    ServerConfig c = copy();
    c.tlsCertChain = Objects.requireNonNull(certChain, "certChain");
    c.tlsPrivateKey = Objects.requireNonNull(privateKey, "privateKey");
    return c;
  }

  /** Requires client certificates signed by this PEM CA (needs {@link #withTls}). */
  public ServerConfig withTlsClientCa(Path v) {
    ServerConfig c = copy();
    c.tlsClientCa = Objects.requireNonNull(v, "clientCa");
    return c;
  }

  public ServerConfig withUsersFile(Path v) {
    ServerConfig c = copy();
    c.usersFile = Objects.requireNonNull(v, "usersFile");
    return c;
  }

  public ServerConfig withAllowPlaintext(boolean v) {
    ServerConfig c = copy();
    c.allowPlaintext = v;
    return c;
  }

  public ServerConfig withAllowAnonymous(boolean v) {
    ServerConfig c = copy();
    c.allowAnonymous = v;
    return c;
  }

  public ServerConfig withMaxSessions(int v) {
    require(v >= 0, "maxSessions must be >= 0 (0 = no cap): " + v);
    ServerConfig c = copy();
    c.maxSessions = v;
    return c;
  }

  public ServerConfig withMaxSessionsPerPrincipal(int v) {
    require(v >= 0, "maxSessionsPerPrincipal must be >= 0 (0 = no cap): " + v);
    ServerConfig c = copy();
    c.maxSessionsPerPrincipal = v;
    return c;
  }

  public ServerConfig withMaxGuestMemoryBytes(long v) {
    require(v >= 0, "maxGuestMemoryBytes must be >= 0 (0 = no cap): " + v);
    ServerConfig c = copy();
    c.maxGuestMemoryBytes = v;
    return c;
  }

  public ServerConfig withRegisterRatePerMinute(int v) {
    require(v >= 0, "registerRatePerMinute must be >= 0 (0 = no limit): " + v);
    ServerConfig c = copy();
    c.registerRatePerMinute = v;
    return c;
  }
}
