package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wasm-flight call MODULE/FUNCTION --in FILE --out FILE}. */
@Command(
    name = "call",
    mixinStandardHelpOptions = true,
    versionProvider = WasmFlightCli.Version.class,
    usageHelpWidth = 100,
    description = {
      "Stream a file's rows through a function and write what it returns.",
      "Formats: Arrow IPC (.arrow .feather: file format; .arrows .ipc: stream format), CSV with a"
          + " header row (.csv; int64, float64, bool or utf8 columns, inferred from the first 1000"
          + " rows; an empty field or line is a null) and Parquet (.parquet; flat int32, int64, float,"
          + " double, boolean, string and binary columns). The input is read while the output is"
          + " written, so any size streams in bounded memory. On failure the output file is"
          + " deleted."
    })
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class CallCommand implements Callable<Integer> {
  @Mixin ServerOption server;

  @Parameters(index = "0", paramLabel = "MODULE/FUNCTION", description = "the function to call")
  String target;

  @Option(names = "--in", required = true, paramLabel = "FILE", description = "the input file")
  Path in;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "the output file")
  Path out;

  @Option(
      names = "--format",
      paramLabel = "ipc|csv|parquet",
      description = "the input's format (default: from --in's extension)")
  String format;

  @Option(
      names = "--out-format",
      paramLabel = "ipc|csv|parquet",
      description = "the output's format (default: from --out's extension)")
  String outFormat;

  @Option(
      names = "--engine",
      paramLabel = "aot|interpreter",
      description = "the engine (default: the server's)")
  String engine;

  @Option(
      names = "--option",
      paramLabel = "KEY=VALUE",
      description =
          "an option for the function's init (repeatable); VALUE is taken as JSON when it parses"
              + " as JSON (42, true, [1,2]), else as a string")
  Map<String, String> options = new LinkedHashMap<>();

  @Option(
      names = "--limit",
      paramLabel = "KEY=N",
      description =
          "lower a session limit (repeatable): max_memory_pages, call_timeout_ms,"
              + " session_timeout_ms, stall_timeout_ms")
  Map<String, Long> limits = new LinkedHashMap<>();

  @Option(
      names = "--schema",
      paramLabel = "COLUMN:TYPE[,...]",
      split = ",",
      description =
          "CSV input: the types of these columns (int64, int32, float64, float32, bool, utf8)"
              + " instead of inferring them")
  List<String> schema = new ArrayList<>();

  @Option(
      names = "--batch-rows",
      paramLabel = "N",
      defaultValue = "65536",
      description = "rows per batch sent, for CSV and Parquet input (default ${DEFAULT-VALUE})")
  int batchRows;

  @Option(
      names = {"-q", "--quiet"},
      description = "no progress or summary on stderr (errors are still printed)")
  boolean quiet;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    int slash = target.indexOf('/');
    if (slash <= 0 || slash == target.length() - 1 || target.indexOf('/', slash + 1) >= 0) {
      throw new CliException(ExitCode.USAGE, "call takes MODULE/FUNCTION, got " + target);
    }
    if (batchRows < 1) {
      throw new CliException(ExitCode.USAGE, "--batch-rows must be positive");
    }
    String module = target.substring(0, slash);
    String function = target.substring(slash + 1);
    FileFormat inFormat = format == null ? FileFormat.of(in) : FileFormat.parse(format);
    FileFormat toFormat = outFormat == null ? FileFormat.of(out) : FileFormat.parse(outFormat);
    if (!Files.exists(in)) {
      throw new CliException(ExitCode.NOT_FOUND, "no such file: " + in);
    }
    FlightDescriptor descriptor = descriptor(module, function);
    boolean ok = false;
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = server.connect(allocator);
        Progress progress = new Progress(spec.commandLine().getErr(), quiet, target)) {
      BatchSource source;
      try {
        source = inFormat.open(in, allocator, batchRows, csvTypes());
      } catch (NoSuchFileException e) {
        throw new CliException(ExitCode.NOT_FOUND, "no such file: " + in);
      } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
        throw new CliException(ExitCode.BAD_INPUT, "cannot read " + in + ": " + e.getMessage(), e);
      }
      try (source) {
        new StreamedCall(client, descriptor, source, out, toFormat, progress).run();
      }
      ok = true;
    } catch (FlightRuntimeException e) {
      throw FlightCalls.failed(e);
    } finally {
      if (!ok) {
        Files.deleteIfExists(out);
      }
    }
    return 0;
  }

  private Map<String, ArrowType> csvTypes() {
    Map<String, ArrowType> types = new LinkedHashMap<>();
    for (String column : schema) {
      int colon = column.lastIndexOf(':');
      if (colon <= 0) {
        throw new CliException(ExitCode.USAGE, "--schema takes COLUMN:TYPE, got " + column);
      }
      types.put(column.substring(0, colon), Columns.parse(column.substring(colon + 1)));
    }
    return types;
  }

  private FlightDescriptor descriptor(String module, String function) {
    if (engine == null && options.isEmpty() && limits.isEmpty()) {
      return FlightDescriptor.path(module, function);
    }
    Map<String, Object> command = new LinkedHashMap<>();
    command.put("module", module);
    command.put("function", function);
    if (engine != null) {
      command.put("engine", engine);
    }
    if (!options.isEmpty()) {
      Map<String, Object> o = new LinkedHashMap<>();
      options.forEach((k, v) -> o.put(k, jsonOrString(v)));
      command.put("options", o);
    }
    if (!limits.isEmpty()) {
      command.put("limits", limits);
    }
    try {
      return FlightDescriptor.command(
          FlightCalls.JSON.writeValueAsString(command).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CliException(ExitCode.USAGE, "cannot encode the descriptor: " + e.getMessage());
    }
  }

  private static Object jsonOrString(String v) {
    try {
      JsonNode n = FlightCalls.JSON.readTree(v);
      return n == null || n.isMissingNode() ? v : n;
    } catch (IOException e) {
      return v;
    }
  }
}
