package io.wasmflight.server;

import picocli.CommandLine;

/**
 * The server jar's entry point: {@code java -jar flight-server.jar [serve options]} runs {@link
 * ServeCommand} ({@code hash-secret} runs {@link HashSecretCommand}); {@code --help} lists the
 * options. The full command line ({@code serve}, {@code register}, {@code call}, ...) is the {@code
 * cli} module's {@code io.wasmflight.cli.WasmFlightCli}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("hash-secret")) {
      HashSecret.main(java.util.Arrays.copyOfRange(args, 1, args.length));
    }
    System.exit(new CommandLine(new ServeCommand()).execute(args));
  }
}
