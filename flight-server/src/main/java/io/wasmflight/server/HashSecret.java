package io.wasmflight.server;

import io.wasmflight.server.internal.security.SecretHash;

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

  /** {@code wasm-flight hash-secret}: see {@link HashSecretCommand}. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new HashSecretCommand()).execute(args));
  }
}
