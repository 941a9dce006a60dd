package io.wasmflight.cli;

import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A real server on port 0 with its own data dir, and the CLI run in-process against it: {@link
 * #cli} returns the exit code with what went to stdout and stderr.
 */
final class CliRun implements AutoCloseable {
  /** One CLI invocation's outcome. */
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  final BufferAllocator allocator = new RootAllocator();
  final Path dataDir;
  private final WasmFlightServer server;

  private CliRun(ServerConfig config) {
    this.dataDir = config.dataDir();
    this.server = WasmFlightServer.start(config, allocator);
  }

  static CliRun start() {
    try {
      Path dir = Files.createTempDirectory("wasm-flight-cli-test");
      return new CliRun(ServerConfig.defaults().withPort(0).withDataDir(dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String address() {
    return "grpc://127.0.0.1:" + server.port();
  }

  /** Runs {@code wasm-flight SUBCOMMAND --server <this server> ARGS...}. */
  Result cli(String subcommand, String... args) {
    List<String> all = new ArrayList<>(List.of(subcommand, "--server", address()));
    all.addAll(List.of(args));
    return run(all.toArray(String[]::new));
  }

  /** Runs the CLI with exactly these arguments. */
  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = WasmFlightCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  /** A Rust example built by guest-sdk-rust/build-examples.sh during the Maven build. */
  static Path example(String name) {
    String dir = System.getProperty("wasmflight.examples.dir");
    if (dir == null) {
      throw new IllegalStateException("run with Maven: wasmflight.examples.dir is not set");
    }
    return Path.of(dir, name + ".wasm");
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      allocator.close();
    }
  }
}
