package io.wasmflight.cli;

import io.wasmflight.server.ServeCommand;
import java.io.PrintWriter;
import org.apache.arrow.flight.FlightRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code wasm-flight}: the command line. {@code serve} is the server's own {@link ServeCommand};
 * the other subcommands are Flight clients. Exit codes: {@link ExitCode}.
 */
@Command(
    name = "wasm-flight",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    versionProvider = WasmFlightCli.Version.class,
    description = "Run WebAssembly functions over Arrow record batches: the server and its client.",
    subcommands = {
      ServeCommand.class,
      RegisterCommand.class,
      ListCommand.class,
      DescribeCommand.class,
      UnregisterCommand.class,
      CallCommand.class,
      io.wasmflight.server.HashSecretCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes (every subcommand):%n",
    exitCodeList = {
      "0:ok",
      "1:other failure (a server bug, an output file that cannot be written)",
      "2:usage: a bad command line, or a request the server refused as malformed",
      "3:not found: no such module, function or input file",
      "4:bad input: an unreadable or unconvertible input file, a module the server rejected",
      "5:guest error: the guest trapped, failed, broke the ABI or refused the input",
      "6:a limit or time limit was hit (memory, output, call, session, stall)",
      "7:the server is unavailable"
    })
public final class WasmFlightCli implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** The command line with the CLI's error handling, printing to {@code out} and {@code err}. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new WasmFlightCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          ExitCode code;
          String message;
          if (e instanceof CliException c) {
            code = c.exitCode();
            message = c.getMessage();
          } else if (e instanceof FlightRuntimeException f) {
            CliException c = FlightCalls.failed(f);
            code = c.exitCode();
            message = c.getMessage();
          } else {
            code = ExitCode.OTHER;
            message = e.toString();
          }
          commandLine.getErr().println("wasm-flight: " + message);
          commandLine.getErr().flush();
          return code.code();
        });
    return cl;
  }

  /** Runs the command line and returns its exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    int code = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    return code;
  }

  public static void main(String[] args) {
    if (args.length == 0 || !args[0].equals("serve")) {
      // A client prints its results and errors, not Arrow's start-up INFO lines; serve logs.
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(
        run(
            args,
            new PrintWriter(System.out, true, java.nio.charset.StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = WasmFlightCli.class.getPackage().getImplementationVersion();
      return new String[] {"wasm-flight " + (v == null ? "(development build)" : v)};
    }
  }
}
