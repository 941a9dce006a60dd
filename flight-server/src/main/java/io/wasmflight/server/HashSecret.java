package io.wasmflight.server;

import io.wasmflight.server.internal.security.SecretHash;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * {@code wasm-flight hash-secret [--token | --new-token]}: the secret column of a users file line,
 * so secrets never appear on a command line. Reads the secret as the first line of standard input
 * and prints {@code pbkdf2-sha256$…} for a password, {@code sha256$…} with {@code --token}; {@code
 * --new-token} makes a random API token and prints it, then its hash.
 */
public final class HashSecret {
  private HashSecret() {}

  /** The users-file secret of a password: {@code pbkdf2-sha256$…} with a random salt. */
  public static String hashPassword(char[] password) {
    return SecretHash.hashPassword(password);
  }

  /** The users-file secret of an API token: {@code sha256$…}. */
  public static String hashToken(String token) {
    return SecretHash.hashToken(token);
  }

  /** A new random API token (256 bits, URL-safe base64). */
  public static String newToken() {
    return SecretHash.newToken();
  }

  public static void main(String[] args) throws IOException {
    String mode = args.length == 0 ? "" : args[0];
    if (args.length > 1
        || !(mode.isEmpty() || mode.equals("--token") || mode.equals("--new-token"))) {
      System.err.println(
          "usage: wasm-flight hash-secret [--token | --new-token]   (the secret is read from stdin)");
      System.exit(2);
    }
    if (mode.equals("--new-token")) {
      String token = SecretHash.newToken();
      System.out.println("token:  " + token);
      System.out.println("stored: " + SecretHash.hashToken(token));
      return;
    }
    char[] secret = read();
    if (secret == null || secret.length == 0) {
      System.err.println("wasm-flight: no secret on standard input");
      System.exit(2);
    }
    System.out.println(
        mode.isEmpty()
            ? SecretHash.hashPassword(secret)
            : SecretHash.hashToken(new String(secret)));
    java.util.Arrays.fill(secret, '\0');
  }

  private static char[] read() throws IOException {
    String line =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    return line == null ? null : line.toCharArray();
  }
}
