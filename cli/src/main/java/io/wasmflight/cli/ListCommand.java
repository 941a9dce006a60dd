package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code wasm-flight list}. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    versionProvider = WasmFlightCli.Version.class,
    usageHelpWidth = 100,
    description = "List the registered modules: name, size, sha256 prefix, functions (kind).")
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class ListCommand implements Callable<Integer> {
  @Mixin ServerOption server;
  @Mixin OutputOptions output;

  @Override
  public Integer call() throws InterruptedException {
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = server.connect(allocator)) {
      JsonNode modules = FlightCalls.action(client, "list", Map.of());
      if (output.json) {
        output.out().println(modules.toPrettyString());
      } else {
        for (JsonNode m : modules) {
          output.out().println(ModuleText.line(m));
        }
      }
      output.out().flush();
      return 0;
    }
  }
}
