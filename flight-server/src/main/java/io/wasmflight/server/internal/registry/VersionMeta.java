package io.wasmflight.server.internal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.internal.Json;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * What the registry persists about one module version ({@code <version>.json}).
 *
 * @param registeredBy the Flight peer identity of the caller that registered it ("" when the server
 *     has no authentication, or for a module registered at start)
 */
public record VersionMeta(
    String name,
    int version,
    String sha256,
    int sizeBytes,
    Instant registeredAt,
    String registeredBy) {

  ObjectNode toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("name", name);
    o.put("version", version);
    o.put("sha256", sha256);
    o.put("size_bytes", sizeBytes);
    o.put("registered_at", registeredAt.toString());
    o.put("registered_by", registeredBy);
    return o;
  }

  /** Reads a metadata file's JSON; an incomplete or mistyped one is an IllegalArgumentException. */
  static VersionMeta fromJson(JsonNode n) {
    if (n == null
        || !n.path("name").isTextual()
        || !n.path("version").canConvertToInt()
        || !n.path("sha256").isTextual()
        || !n.path("size_bytes").canConvertToInt()
        || !n.path("registered_at").isTextual()) {
      throw new IllegalArgumentException("incomplete metadata: " + n);
    }
    try {
      return new VersionMeta(
          n.get("name").asText(),
          n.get("version").asInt(),
          n.get("sha256").asText(),
          n.get("size_bytes").asInt(),
          Instant.parse(n.get("registered_at").asText()),
          n.path("registered_by").asText(""));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("bad registered_at: " + e.getMessage(), e);
    }
  }
}
