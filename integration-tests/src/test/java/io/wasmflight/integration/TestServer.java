package io.wasmflight.integration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A real server on port 0 with its own data directory and root allocator, plus a client. Closing it
 * closes the allocator, which fails the test if any Arrow buffer leaked on either side.
 */
final class TestServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final BufferAllocator allocator = new RootAllocator();
  final Path dataDir;
  final ServerConfig config;
  private WasmFlightServer server;
  private FlightClient client;

  private TestServer(Path dataDir, ServerConfig config) {
    this.dataDir = dataDir;
    this.config = config;
    startServer();
  }

  static TestServer start() {
    return start(c -> c);
  }

  static TestServer start(UnaryOperator<ServerConfig> configure) {
    try {
      Path dir = Files.createTempDirectory("wasm-flight-test");
      return new TestServer(
          dir, configure.apply(ServerConfig.defaults().withPort(0).withDataDir(dir)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startServer() {
    server = WasmFlightServer.start(config, allocator);
    client =
        FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
            .build();
  }

  /** Stops the server and starts a new one on the same data directory. */
  void restart() throws Exception {
    client.close();
    server.close();
    startServer();
  }

  FlightClient client() {
    return client;
  }

  int port() {
    return server.port();
  }

  /** The operator endpoint's port ({@code /metrics}), -1 when the config left it off. */
  int metricsPort() {
    return server.metricsPort();
  }

  /** The server itself (sessions open, guest memory reserved). */
  WasmFlightServer wasm() {
    return server;
  }

  /** Runs an action and parses its single JSON result. */
  JsonNode action(String type, String body) {
    Iterator<Result> results =
        client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    JsonNode out = null;
    while (results.hasNext()) {
      try {
        out = JSON.readTree(results.next().getBody());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Adds a native map to the running server. */
  void registerNative(String module, String function, io.wasmflight.server.NativeFunction f) {
    server.registerNative(module, function, f);
  }

  /** Adds a native function of any kind to the running server. */
  void registerNative(String module, String function, io.wasmflight.server.NativeKernel.Factory f) {
    server.registerNative(module, function, f);
  }

  /** Registers a module from its bytes. */
  JsonNode register(String name, byte[] wasm) {
    try {
      return action(
          "register",
          JSON.writeValueAsString(
              Map.of("name", name, "wasm", Base64.getEncoder().encodeToString(wasm))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
      server.close();
    } finally {
      allocator.close();
    }
  }
}
