package io.wasmflight.server;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Server settings. Immutable; every {@code withX} returns a copy. Defaults are safe for a shared
 * server: see {@code proto-docs/flight-protocol.md} ("Limits") for what each one bounds.
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

  private final String host;
  private final int port;
  private final Path dataDir;
  private final Engine defaultEngine;
  private final int maxMemoryPages;
  private final long maxModuleBytes;
  private final long maxOutputBytesPerBatch;
  private final long exchangeMemoryLimit;

  private ServerConfig(
      String host,
      int port,
      Path dataDir,
      Engine defaultEngine,
      int maxMemoryPages,
      long maxModuleBytes,
      long maxOutputBytesPerBatch,
      long exchangeMemoryLimit) {
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    this.defaultEngine = Objects.requireNonNull(defaultEngine, "defaultEngine");
    this.maxMemoryPages = maxMemoryPages;
    this.maxModuleBytes = maxModuleBytes;
    this.maxOutputBytesPerBatch = maxOutputBytesPerBatch;
    this.exchangeMemoryLimit = exchangeMemoryLimit;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (maxMemoryPages < 1 || maxMemoryPages > 32767) {
      throw new IllegalArgumentException("maxMemoryPages must be 1..32767: " + maxMemoryPages);
    }
    if (maxModuleBytes < 8 || maxOutputBytesPerBatch < 1 || exchangeMemoryLimit < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** Defaults: 127.0.0.1:8815, {@link #defaultDataDir()}, AOT, 16384 pages (1 GiB) per session,
   * 64 MiB modules, 512 MiB output per batch, 2 GiB Arrow memory per exchange. */
  public static ServerConfig defaults() {
    return new ServerConfig(
        "127.0.0.1", 8815, defaultDataDir(), Engine.AOT, 16384, 64L << 20, 512L << 20, 2L << 30);
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

  public ServerConfig withHost(String v) {
    return new ServerConfig(v, port, dataDir, defaultEngine, maxMemoryPages, maxModuleBytes,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withPort(int v) {
    return new ServerConfig(host, v, dataDir, defaultEngine, maxMemoryPages, maxModuleBytes,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withDataDir(Path v) {
    return new ServerConfig(host, port, v, defaultEngine, maxMemoryPages, maxModuleBytes,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withDefaultEngine(Engine v) {
    return new ServerConfig(host, port, dataDir, v, maxMemoryPages, maxModuleBytes,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withMaxMemoryPages(int v) {
    return new ServerConfig(host, port, dataDir, defaultEngine, v, maxModuleBytes,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withMaxModuleBytes(long v) {
    return new ServerConfig(host, port, dataDir, defaultEngine, maxMemoryPages, v,
        maxOutputBytesPerBatch, exchangeMemoryLimit);
  }

  public ServerConfig withMaxOutputBytesPerBatch(long v) {
    return new ServerConfig(host, port, dataDir, defaultEngine, maxMemoryPages, maxModuleBytes,
        v, exchangeMemoryLimit);
  }

  public ServerConfig withExchangeMemoryLimit(long v) {
    return new ServerConfig(host, port, dataDir, defaultEngine, maxMemoryPages, maxModuleBytes,
        maxOutputBytesPerBatch, v);
  }
}
