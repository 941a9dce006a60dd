package io.wasmflight.server.internal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.abi.CDataFormat;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One function of a module's catalog (abi-v1.md section 4).
 *
 * @param input the declared input schema, or null when the function takes any input
 * @param output the declared output schema, or null when it depends on the input
 * @param init the export receiving the session options, or null when the function takes none
 * @param finish (1.2) the export called at the end of the input, or null
 * @param rowIndex (1.2, table) the output column holding each row's input row index, or null
 */
public record FunctionSpec(
    String name,
    Kind kind,
    String export,
    String init,
    Schema input,
    Schema output,
    String finish,
    String rowIndex) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  /** Function kinds (abi-v1.md section 6): map since 1.0, the others since 1.2. */
  public enum Kind {
    MAP,
    FILTER,
    TABLE,
    AGGREGATE;

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Parses the catalog JSON; every problem is a {@link WasmFlightException.ModuleRejected}. */
  static List<FunctionSpec> parseCatalog(String json) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw rejected(
          "wf_catalog is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject() || !root.path("functions").isArray()) {
      throw rejected("wf_catalog must be a JSON object with a 'functions' array");
    }
    List<FunctionSpec> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (JsonNode f : root.get("functions")) {
      FunctionSpec spec = parseFunction(f);
      if (!names.add(spec.name())) {
        throw rejected("wf_catalog lists function '" + spec.name() + "' twice");
      }
      out.add(spec);
    }
    if (out.isEmpty()) {
      throw rejected("wf_catalog lists no functions");
    }
    return List.copyOf(out);
  }

  private static FunctionSpec parseFunction(JsonNode f) {
    if (!f.isObject()) {
      throw rejected("wf_catalog: each function must be a JSON object");
    }
    String name = text(f, "name", true);
    if (!NAME.matcher(name).matches()) {
      throw rejected("wf_catalog: invalid function name '" + name + "'");
    }
    String kindText = text(f, "kind", true);
    Kind kind;
    try {
      kind = Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw rejected(
          "function '"
              + name
              + "' has unknown kind '"
              + kindText
              + "' (known kinds: map, filter, table, aggregate)");
    }
    String export = text(f, "export", true);
    String init = text(f, "init", false);
    String finish = text(f, "finish", false);
    String rowIndex = text(f, "row_index", false);
    if (kind == Kind.AGGREGATE && finish == null) {
      throw rejected(
          "function '"
              + name
              + "' is an aggregate without 'finish': an aggregate "
              + "emits its result from finish");
    }
    if (finish != null && kind != Kind.AGGREGATE && kind != Kind.TABLE) {
      throw rejected(
          "function '"
              + name
              + "' is of kind '"
              + kind.wireName()
              + "', which takes "
              + "no 'finish' (only table and aggregate functions do)");
    }
    if (rowIndex != null && (kind != Kind.TABLE || finish != null)) {
      throw rejected(
          "function '" + name + "': 'row_index' is for table functions without " + "'finish'");
    }
    Schema output = null;
    JsonNode outputNode = f.get("output");
    if (outputNode != null && !outputNode.isNull()) {
      output = parseFields(name, "output", outputNode);
    }
    Schema input = null;
    JsonNode inputNode = f.get("input");
    if (inputNode != null && !inputNode.isNull()) {
      input = parseFields(name, "input", inputNode);
    }
    if (kind == Kind.FILTER && output != null) {
      throw rejected(
          "function '"
              + name
              + "' is a filter with an 'output': a filter's output is "
              + "the input rows it keeps, in the input's schema");
    }
    if (rowIndex != null
        && output != null
        && !output.getFields().stream().anyMatch(x -> x.getName().equals(rowIndex))) {
      throw rejected(
          "function '"
              + name
              + "': 'row_index' names column '"
              + rowIndex
              + "', which the declared output does not have");
    }
    return new FunctionSpec(name, kind, export, init, input, output, finish, rowIndex);
  }

  /** The least ABI minor version that defines what this function uses. */
  int requiredMinor() {
    return kind == Kind.MAP && finish == null && rowIndex == null ? 0 : 2;
  }

  /**
   * Checks a client's input schema against the declared input (abi-v1.md section 4); the first
   * mismatch is a bad request. Nullability is checked per batch ({@link #checkInputNulls}).
   */
  public void checkInput(Schema actual) {
    if (input != null) {
      DeclaredInput.check(name, input, actual);
    }
  }

  /** Refuses nulls in a column the input declares non-nullable. */
  public void checkInputNulls(List<? extends ValueVector> columns) {
    if (input != null) {
      DeclaredInput.checkNulls(name, input, columns);
    }
  }

  private static Schema parseFields(String fn, String role, JsonNode node) {
    if (!node.isArray()) {
      throw rejected("function '" + fn + "': '" + role + "' must be an array of fields");
    }
    List<Field> fields = new ArrayList<>();
    for (JsonNode f : node) {
      if (!f.isObject()) {
        throw rejected("function '" + fn + "': each " + role + " field must be an object");
      }
      String fieldName = text(f, "name", true);
      String format = text(f, "format", true);
      CDataFormat type;
      try {
        type = CDataFormat.parse(format, 0);
      } catch (CDataFormat.UnsupportedFormat e) {
        throw rejected(
            "function '"
                + fn
                + "': "
                + role
                + " field '"
                + fieldName
                + "' has format '"
                + format
                + "': "
                + e.getMessage());
      }
      if (type.childCount() != 0) {
        throw rejected(
            "function '"
                + fn
                + "': "
                + role
                + " field '"
                + fieldName
                + "' has format '"
                + format
                + "', which needs children; a catalog declares only types without "
                + "children (leave '"
                + role
                + "' out when the "
                + role
                + " is nested)");
      }
      JsonNode nullable = f.get("nullable");
      boolean isNullable = nullable == null || nullable.asBoolean(true);
      fields.add(new Field(fieldName, new FieldType(isNullable, type.type(), null), null));
    }
    return new Schema(fields);
  }

  private static String text(JsonNode f, String key, boolean required) {
    JsonNode v = f.get(key);
    if (v == null || v.isNull()) {
      if (required) {
        throw rejected("wf_catalog: a function is missing '" + key + "'");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw rejected("wf_catalog: '" + key + "' must be a string");
    }
    return v.asText();
  }

  private static WasmFlightException rejected(String detail) {
    return new WasmFlightException.ModuleRejected(detail);
  }

  /** The JSON description used by list/describe. */
  public ObjectNode toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("name", name);
    o.put("kind", kind.wireName());
    o.put("takes_options", init != null);
    if (rowIndex != null) {
      o.put("row_index", rowIndex);
    }
    putFields(o, "input", input);
    putFields(o, "output", output);
    return o;
  }

  private static void putFields(ObjectNode o, String key, Schema schema) {
    if (schema == null) {
      o.putNull(key);
      return;
    }
    ArrayNode fields = o.putArray(key);
    for (Field field : schema.getFields()) {
      ObjectNode fo = fields.addObject();
      fo.put("name", field.getName());
      fo.put("format", CDataFormat.of(field.getType()).format());
      fo.put("nullable", field.isNullable());
    }
  }
}
