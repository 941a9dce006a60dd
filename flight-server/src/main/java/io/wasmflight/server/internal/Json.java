package io.wasmflight.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.WasmFlightException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/** Strict JSON for request bodies and descriptors: one shared mapper, precise errors. */
public final class Json {
  /**
   * Jackson's default cap on one string (20M characters) would refuse any register body of a module
   * above ~14 MiB (its base64). Every document parsed here is a byte array already in memory, and
   * gRPC bounds its size (the server's inbound message limit is derived from the module size limit:
   * 4/3 of it plus 1 MiB), so a string can never be longer than what the configured module limit
   * admits: the string cap is lifted, and the size checks stay where they are (gRPC's message
   * limit, then ModuleRegistry's "module is N bytes; the limit is M").
   */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
              .build());

  private Json() {}

  /** Parses {@code bytes} as a JSON object whose keys are all in {@code allowed}. */
  public static ObjectNode object(byte[] bytes, String what, Set<String> allowed) {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (java.io.IOException e) {
      throw new WasmFlightException.BadRequest(what + " is not valid JSON: " + firstLine(e));
    }
    if (node == null || node.isMissingNode()) {
      throw new WasmFlightException.BadRequest(what + " is empty; expected a JSON object");
    }
    if (!node.isObject()) {
      throw new WasmFlightException.BadRequest(
          what
              + " must be a JSON object, got "
              + node.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    ObjectNode obj = (ObjectNode) node;
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new WasmFlightException.BadRequest(
            what
                + " has unknown field '"
                + key
                + "'; allowed: "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
    return obj;
  }

  /** A required string field. */
  public static String requiredString(ObjectNode obj, String key, String what) {
    JsonNode v = obj.get(key);
    if (v == null || v.isNull()) {
      throw new WasmFlightException.BadRequest(what + " is missing required field '" + key + "'");
    }
    if (!v.isTextual()) {
      throw new WasmFlightException.BadRequest(what + " field '" + key + "' must be a string");
    }
    return v.asText();
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
