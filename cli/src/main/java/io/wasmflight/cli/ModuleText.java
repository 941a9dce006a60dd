package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Module descriptions (flight-protocol.md "Module description") as lines of text. */
final class ModuleText {
  private ModuleText() {}

  static String functionNames(JsonNode module) {
    List<String> names = new ArrayList<>();
    for (JsonNode f : module.path("functions")) {
      names.add(f.path("name").asText() + " (" + f.path("kind").asText() + ")");
    }
    return String.join(", ", names);
  }

  /** One line of {@code list}: name, size, short hash, functions. */
  static String line(JsonNode module) {
    String sha = module.path("sha256").asText();
    return String.format(
        "%-24s %10d B  %s  %s",
        module.path("name").asText(),
        module.path("size_bytes").asLong(),
        sha.length() > 12 ? sha.substring(0, 12) : sha,
        functionNames(module));
  }

  /** {@code describe}: the module, then one line per function with its declared output. */
  static String details(JsonNode module) {
    StringBuilder b = new StringBuilder();
    b.append("module      ").append(module.path("name").asText()).append('\n');
    b.append("sha256      ").append(module.path("sha256").asText()).append('\n');
    b.append("size        ").append(module.path("size_bytes").asLong()).append(" bytes\n");
    b.append("abi         ").append(module.path("abi_version").asText()).append('\n');
    b.append("registered  ").append(module.path("registered_at").asText()).append('\n');
    b.append("compile     ").append(module.path("compile_ms").asLong()).append(" ms\n");
    b.append("functions\n");
    for (JsonNode f : module.path("functions")) {
      b.append("  ")
          .append(f.path("name").asText())
          .append("  ")
          .append(f.path("kind").asText())
          .append(f.path("takes_options").asBoolean() ? "  takes options" : "")
          .append("  output ");
      JsonNode output = f.path("output");
      if (output.isArray()) {
        List<String> cols = new ArrayList<>();
        for (JsonNode c : output) {
          cols.add(c.path("name").asText() + ":" + c.path("format").asText());
        }
        b.append('[').append(String.join(", ", cols)).append(']');
      } else {
        b.append("depends on the input");
      }
      b.append('\n');
    }
    return b.toString();
  }
}
