package io.wasmflight.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wasm-flight hash-secret}: the users-file form of a secret read from standard input, so a
 * secret never appears on a command line (README "Deploying").
 */
@Command(
    name = "hash-secret",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {
      "Print the users-file form of a secret read from standard input (one line): a password"
          + " (PBKDF2-SHA256) or, with --token, an API token (SHA-256).",
      "The secret is never taken from the command line."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:printed", "2:usage, or no secret on standard input"})
public final class HashSecretCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true)
  Mode mode;

  static final class Mode {
    @Option(names = "--token", description = "the secret is an API token, not a password")
    boolean token;

    @Option(
        names = "--new-token",
        description = "make a new random API token; print it and its stored form")
    boolean newToken;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (mode != null && mode.newToken) {
      String token = HashSecret.newToken();
      out.println("token:  " + token);
      out.println("stored: " + HashSecret.hashToken(token));
      out.flush();
      return 0;
    }
    String line =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    if (line == null || line.isEmpty()) {
      spec.commandLine().getErr().println("wasm-flight: no secret on standard input");
      spec.commandLine().getErr().flush();
      return 2;
    }
    char[] secret = line.toCharArray();
    out.println(
        mode != null && mode.token ? HashSecret.hashToken(line) : HashSecret.hashPassword(secret));
    Arrays.fill(secret, '\0');
    out.flush();
    return 0;
  }
}
