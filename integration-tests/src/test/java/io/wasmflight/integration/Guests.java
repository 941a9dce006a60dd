package io.wasmflight.integration;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test guests: the Rust SDK examples, built from source by {@code guest-sdk-rust/build-examples.sh}
 * during the Maven build, the C examples (built by {@code guest-sdk-c/build-examples.sh}), and WAT
 * fixtures under {@code src/test/resources/guests/}, compiled here with Chicory's wat2wasm.
 */
final class Guests {
  private static final ConcurrentHashMap<String, byte[]> CACHE = new ConcurrentHashMap<>();

  private Guests() {}

  /** A Rust example by crate name (e.g. {@code add_one}). */
  static byte[] rust(String example) {
    return built("wasmflight.examples.dir", example);
  }

  /** A C example by file name (guest-sdk-c/examples/, e.g. {@code add_one}). */
  static byte[] c(String example) {
    return built("wasmflight.c.examples.dir", example);
  }

  /** A hostile Rust guest by crate name (guest-sdk-rust/hostile/, e.g. {@code panicky}). */
  static byte[] rustHostile(String crate) {
    return built("wasmflight.hostile.dir", crate);
  }

  /** An AssemblyScript example by file name (guest-sdk-as/examples/, e.g. {@code as_examples}). */
  static byte[] assemblyScript(String example) {
    return built("wasmflight.as.dir", example);
  }

  private static byte[] built(String property, String example) {
    String dir = System.getProperty(property);
    if (dir == null) {
      throw new IllegalStateException(
          property
              + " is not set; run the tests with Maven, "
              + "which builds the example guests first");
    }
    Path file = Path.of(dir, example + ".wasm");
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("example guest " + file + " was not built", e);
    }
  }

  /** A WAT fixture, e.g. {@code good/echo} or {@code hostile/loop}, compiled once. */
  static byte[] wat(String name) {
    return CACHE.computeIfAbsent(name, n -> Wat2Wasm.parse(watSource(n)));
  }

  static String watSource(String name) {
    try (InputStream in = Guests.class.getResourceAsStream("/guests/" + name + ".wat")) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture guests/" + name + ".wat");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
