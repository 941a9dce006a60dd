package io.wasmflight.cli;

import java.net.URI;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Option;

/** {@code --server grpc://host:port}, shared by every client subcommand. */
public final class ServerOption {
  static final String DEFAULT = "grpc://127.0.0.1:8815";

  @Option(
      names = "--server",
      paramLabel = "URI",
      defaultValue = "${env:WASM_FLIGHT_SERVER:-" + DEFAULT + "}",
      description = "the server (default $WASM_FLIGHT_SERVER, else " + DEFAULT + ")")
  String server;

  /** A client for the server; the CLI's exit code 2 when the address is not a grpc URI. */
  FlightClient connect(BufferAllocator allocator) {
    URI uri;
    try {
      uri = new URI(server);
    } catch (java.net.URISyntaxException e) {
      throw new CliException(ExitCode.USAGE, "--server: not a URI: " + server);
    }
    if ((!"grpc".equals(uri.getScheme()) && !"grpc+tcp".equals(uri.getScheme()))
        || uri.getHost() == null
        || uri.getPort() < 0) {
      throw new CliException(ExitCode.USAGE, "--server takes grpc://HOST:PORT, got " + server);
    }
    return FlightClient.builder(allocator, Location.forGrpcInsecure(uri.getHost(), uri.getPort()))
        .build();
  }
}
