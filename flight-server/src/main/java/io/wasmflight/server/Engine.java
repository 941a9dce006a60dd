package io.wasmflight.server;

import java.util.Locale;

/** How a session's guest code runs. */
public enum Engine {
  /** Chicory's ahead-of-time compiler: the module is compiled to JVM bytecode once. */
  AOT("aot"),
  /** Chicory's interpreter. Slow; useful as a reference and for comparison. */
  INTERPRETER("interpreter");

  private final String wireName;

  Engine(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in descriptors, options and documentation. */
  public String wireName() {
    return wireName;
  }

  /** Parses {@code "aot"} or {@code "interpreter"} (case-insensitive). */
  public static Engine parse(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (Engine e : values()) {
      if (e.wireName.equals(n)) {
        return e;
      }
    }
    throw new WasmFlightException.BadRequest(
        "unknown engine '" + name + "': expected \"aot\" or \"interpreter\"");
  }
}
