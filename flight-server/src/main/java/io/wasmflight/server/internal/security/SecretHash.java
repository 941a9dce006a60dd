package io.wasmflight.server.internal.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The two secret formats of the users file, JDK crypto only: passwords as {@code
 * pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>} (slow on purpose), API tokens as {@code
 * sha256$<hex>} (tokens are long random strings, so a fast hash is enough). Comparisons take
 * constant time.
 */
public final class SecretHash {
  /** PBKDF2 iterations of new password hashes (OWASP's 2021 figure for PBKDF2-HMAC-SHA256). */
  public static final int ITERATIONS = 310_000;

  private static final String PBKDF2 = "pbkdf2-sha256";
  private static final String SHA256 = "sha256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretHash() {}

  /** A new password hash with a random salt. */
  public static String hashPassword(char[] password) {
    return hashPassword(password, ITERATIONS);
  }

  static String hashPassword(char[] password, int iterations) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return PBKDF2
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(pbkdf2(password, salt, iterations));
  }

  /** The stored form of an API token. */
  public static String hashToken(String token) {
    return SHA256 + "$" + HexFormat.of().formatHex(sha256(token));
  }

  /** A new random API token (256 bits, URL-safe base64). */
  public static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Whether {@code stored} is a well-formed hash of either format; the reason when not. */
  static String checkFormat(String stored) {
    String[] p = stored.split("\\$", -1);
    if (p[0].equals(SHA256)) {
      if (p.length != 2 || !p[1].matches("[0-9a-f]{64}")) {
        return "sha256$ must be followed by 64 lowercase hex digits";
      }
      return null;
    }
    if (p[0].equals(PBKDF2)) {
      if (p.length != 4) {
        return "pbkdf2-sha256 takes $<iterations>$<salt>$<hash>";
      }
      try {
        if (Integer.parseInt(p[1]) < 1) {
          return "pbkdf2-sha256 iterations must be positive";
        }
        Base64.getDecoder().decode(p[2]);
        if (Base64.getDecoder().decode(p[3]).length != 32) {
          return "pbkdf2-sha256 hash must be 32 bytes";
        }
      } catch (IllegalArgumentException e) {
        return "pbkdf2-sha256 has a malformed number or base64: " + e.getMessage();
      }
      return null;
    }
    return "unknown secret format '" + p[0] + "' (use pbkdf2-sha256$… or sha256$…)";
  }

  /** Whether {@code secret} matches {@code stored} (either format; false when malformed). */
  public static boolean matches(String secret, String stored) {
    String[] p = stored.split("\\$", -1);
    if (checkFormat(stored) != null) {
      return false;
    }
    if (p[0].equals(SHA256)) {
      return MessageDigest.isEqual(sha256(secret), HexFormat.of().parseHex(p[1]));
    }
    byte[] salt = Base64.getDecoder().decode(p[2]);
    byte[] expected = Base64.getDecoder().decode(p[3]);
    return MessageDigest.isEqual(
        pbkdf2(secret.toCharArray(), salt, Integer.parseInt(p[1])), expected);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static byte[] pbkdf2(char[] password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no PBKDF2WithHmacSHA256", e);
    } finally {
      spec.clearPassword();
    }
  }
}
