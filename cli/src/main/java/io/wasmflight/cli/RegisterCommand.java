package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code wasm-flight register NAME FILE}. */
@Command(
    name = "register",
    mixinStandardHelpOptions = true,
    versionProvider = WasmFlightCli.Version.class,
    usageHelpWidth = 100,
    description = {
      "Upload a .wasm module under NAME (validated and compiled by the server).",
      "The same bytes again are a no-op; other bytes replace the module for new sessions."
    })
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class RegisterCommand implements Callable<Integer> {
  @Mixin ServerOption server;
  @Mixin OutputOptions output;

  @Parameters(index = "0", paramLabel = "NAME", description = "module name (A-Z a-z 0-9 _ -)")
  String name;

  @Parameters(index = "1", paramLabel = "FILE", description = "the .wasm file")
  Path file;

  @Override
  public Integer call() {
    byte[] wasm;
    try {
      wasm = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CliException(ExitCode.NOT_FOUND, "no such file: " + file);
    } catch (IOException e) {
      throw new CliException(ExitCode.BAD_INPUT, "cannot read " + file + ": " + e.getMessage());
    }
    long start = System.nanoTime();
    JsonNode module;
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = server.connect(allocator)) {
      module =
          FlightCalls.action(
              client,
              "register",
              Map.of("name", name, "wasm", Base64.getEncoder().encodeToString(wasm)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.OTHER, "interrupted");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (output.json) {
      output.out().println(module.toPrettyString());
    } else {
      output
          .out()
          .printf(
              "%s module '%s' (%d functions: %s)%n",
              module.path("replaced").asBoolean() ? "replaced" : "registered",
              module.path("name").asText(),
              module.path("functions").size(),
              ModuleText.functionNames(module));
    }
    output.summary(
        "uploaded %.2f MB and registered in %.2f s (the server compiled it in %d ms)",
        wasm.length / 1e6, seconds, module.path("compile_ms").asLong());
    return 0;
  }
}
