package io.wasmflight.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code wasm-flight unregister NAME}. */
@Command(
    name = "unregister",
    mixinStandardHelpOptions = true,
    versionProvider = WasmFlightCli.Version.class,
    usageHelpWidth = 100,
    description = "Remove a module (sessions already running keep their instance).")
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class UnregisterCommand implements Callable<Integer> {
  @Mixin ServerOption server;
  @Mixin OutputOptions output;

  @Parameters(index = "0", paramLabel = "NAME", description = "module name")
  String name;

  @Override
  public Integer call() throws InterruptedException {
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = server.connect(allocator)) {
      FlightCalls.action(client, "unregister", Map.of("name", name));
      output.out().println("unregistered module '" + name + "'");
      output.out().flush();
      return 0;
    }
  }
}
