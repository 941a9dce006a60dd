package io.wasmflight.server;

import io.wasmflight.server.internal.security.UsersFile;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;

/**
 * The start-up decisions about security: plaintext gRPC and anonymous access are allowed on a
 * loopback address, elsewhere only when asked for explicitly; the users file and TLS files must be
 * readable. Also the one-line description the server logs.
 */
final class SecuritySetup {
  private SecuritySetup() {}

  /** Validates the settings; the loaded users file, or null for an anonymous server. */
  static UsersFile check(ServerConfig config) {
    boolean loopback = isLoopback(config.host());
    if (config.tlsCertChain() == null) {
      if (config.tlsClientCa() != null) {
        throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
      }
      if (!loopback && !config.allowPlaintext()) {
        throw new IllegalArgumentException(
            "refusing plaintext gRPC on non-loopback address "
                + config.host()
                + ": give --tls-cert and --tls-key, or --allow-plaintext to accept it");
      }
    } else {
      for (var p : new java.nio.file.Path[] {config.tlsCertChain(), config.tlsPrivateKey()}) {
        if (!Files.isReadable(p)) {
          throw new IllegalArgumentException("cannot read TLS file " + p);
        }
      }
    }
    if (config.usersFile() == null) {
      if (!loopback && !config.allowAnonymous()) {
        throw new IllegalArgumentException(
            "refusing anonymous access on non-loopback address "
                + config.host()
                + ": give --users-file, or --allow-anonymous to let every client be admin");
      }
      return null;
    }
    return UsersFile.load(config.usersFile());
  }

  static String describe(ServerConfig config, UsersFile users) {
    StringBuilder b = new StringBuilder();
    if (config.tlsCertChain() == null) {
      b.append(
          isLoopback(config.host())
              ? "plaintext gRPC (loopback only)"
              : "PLAINTEXT gRPC on a non-loopback address (--allow-plaintext)");
    } else {
      b.append("TLS (certificate ").append(config.tlsCertChain()).append(')');
      if (config.tlsClientCa() != null) {
        b.append(", mutual TLS (client certificates verified against ")
            .append(config.tlsClientCa())
            .append(')');
      }
    }
    if (users == null) {
      b.append("; no authentication: every client is admin");
      if (!isLoopback(config.host())) {
        b.append(" (--allow-anonymous)");
      }
    } else {
      b.append("; authentication: users file ")
          .append(users.path())
          .append(" (")
          .append(users.size())
          .append(" principals, reloaded on change)");
    }
    b.append("; quotas: sessions ")
        .append(cap(config.maxSessions()))
        .append(", per principal ")
        .append(cap(config.maxSessionsPerPrincipal()))
        .append(", guest memory ")
        .append(
            config.maxGuestMemoryBytes() == 0
                ? "no cap"
                : (config.maxGuestMemoryBytes() >> 20) + " MiB")
        .append(", register ")
        .append(
            config.registerRatePerMinute() == 0
                ? "no rate limit"
                : config.registerRatePerMinute() + "/min per principal");
    return b.toString();
  }

  private static String cap(int n) {
    return n == 0 ? "no cap" : Integer.toString(n);
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
