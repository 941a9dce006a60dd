package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code wasm-flight describe NAME}. */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    versionProvider = WasmFlightCli.Version.class,
    usageHelpWidth = 100,
    description = "Describe a module: hash, size, ABI, and each function's kind and output.")
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class DescribeCommand implements Callable<Integer> {
  @Mixin ServerOption server;
  @Mixin OutputOptions output;

  @Parameters(index = "0", paramLabel = "NAME", description = "module name")
  String name;

  @Override
  public Integer call() throws InterruptedException {
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = server.connect(allocator)) {
      JsonNode module = FlightCalls.action(client, "describe", Map.of("name", name));
      output.out().print(output.json ? module.toPrettyString() + "\n" : ModuleText.details(module));
      output.out().flush();
      return 0;
    }
  }
}
