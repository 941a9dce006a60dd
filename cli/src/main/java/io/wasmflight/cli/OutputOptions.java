package io.wasmflight.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --json} and {@code --quiet}, and where a subcommand prints. */
final class OutputOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--json", description = "print the server's JSON instead of text")
  boolean json;

  @Option(
      names = {"-q", "--quiet"},
      description = "no progress or summary on stderr (errors are still printed)")
  boolean quiet;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A summary line on stderr, unless --quiet. */
  void summary(String format, Object... args) {
    if (!quiet) {
      err().printf(format + "%n", args);
      err().flush();
    }
  }
}
