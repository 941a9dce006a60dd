package io.wasmflight.server;

import picocli.CommandLine;

/**
 * The server jar's entry point: {@code java -jar flight-server.jar [serve options]} runs {@link
 * ServeCommand}; {@code --help} lists the options. The full command line ({@code serve}, {@code
 * register}, {@code call}, ...) is the {@code cli} module's {@code
 * io.wasmflight.cli.WasmFlightCli}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new ServeCommand()).execute(args));
  }
}
