package io.wasmflight.server.internal.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.Engine;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.guest.SessionLimits;
import io.wasmflight.server.internal.registry.ModuleRegistry;
import io.wasmflight.server.internal.wire.InputReadGuard;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flight.FlightDescriptor;

/**
 * What a descriptor asks for: {@code path [module[@version], function]}, a command JSON {@code
 * {"module", "version"?, "sha256"?, "function", "engine"?, "options"?, "limits"?}}
 * (flight-protocol.md, "Descriptors"), or the arrow-udf remote protocol's one-element path {@code
 * [module[@version].function]} (engines.md).
 *
 * @param version the module version asked for, or null for the default version
 * @param sha256 the sha256 the module version must have (lower-case hex), or null
 * @param engine the requested engine, or null for the server default
 * @param options the options object as JSON text ({@code {}} when none were given)
 * @param limits the "limits" object as given, or null (see {@link SessionLimits})
 * @param udf whether the descriptor is the arrow-udf form (a path of one element): the function is
 *     called with its declared signature, input columns matched by position and type
 */
public record ExchangeRequest(
    String module,
    Integer version,
    String sha256,
    String function,
    Engine engine,
    String options,
    JsonNode limits,
    boolean udf) {
  private static final Set<String> COMMAND_KEYS =
      Set.of("module", "version", "sha256", "function", "engine", "options", "limits");

  public boolean hasOptions() {
    return !"{}".equals(options);
  }

  public static ExchangeRequest parse(FlightDescriptor descriptor) {
    if (descriptor.isCommand()) {
      ObjectNode cmd = Json.object(descriptor.getCommand(), "descriptor command", COMMAND_KEYS);
      String module = Json.requiredString(cmd, "module", "descriptor command");
      String function = Json.requiredString(cmd, "function", "descriptor command");
      Integer version = null;
      JsonNode v = cmd.get("version");
      if (v != null && !v.isNull()) {
        if (!v.isIntegralNumber()) {
          throw new WasmFlightException.BadRequest(
              "descriptor command field 'version' must be an integer");
        }
        ModuleRegistry.checkVersion(v.asLong());
        version = v.asInt();
      }
      String sha256 = null;
      JsonNode h = cmd.get("sha256");
      if (h != null && !h.isNull()) {
        if (!h.isTextual()) {
          throw new WasmFlightException.BadRequest(
              "descriptor command field 'sha256' must be a string of 64 hexadecimal digits");
        }
        sha256 = ModuleRegistry.checkSha256(h.asText());
      }
      Engine engine = null;
      JsonNode e = cmd.get("engine");
      if (e != null && !e.isNull()) {
        if (!e.isTextual()) {
          throw new WasmFlightException.BadRequest(
              "descriptor command field 'engine' must be a "
                  + "string: \"aot\" or \"interpreter\"");
        }
        engine = Engine.parse(e.asText());
      }
      String options = "{}";
      JsonNode o = cmd.get("options");
      if (o != null && !o.isNull()) {
        if (!o.isObject()) {
          throw new WasmFlightException.BadRequest(
              "descriptor command field 'options' must be a JSON object");
        }
        options = new String(Json.bytes(o), StandardCharsets.UTF_8);
      }
      return new ExchangeRequest(
          module, version, sha256, function, engine, options, cmd.get("limits"), false);
    }
    List<String> path = descriptor.getPath();
    InputReadGuard.checkNotStandIn(path);
    if (path.size() == 1) {
      return udfName(path.get(0));
    }
    if (path.size() != 2) {
      throw new WasmFlightException.BadRequest(
          "descriptor path must be [module, function], got "
              + path.size()
              + " element(s): "
              + path
              + " (the module may name a version: module@version; the arrow-udf protocol of "
              + "RisingWave and Databend uses one element: module.function)");
    }
    String module = path.get(0);
    Integer version = null;
    int at = module.indexOf('@');
    if (at >= 0) {
      version = parseVersion(module.substring(at + 1), module);
      module = module.substring(0, at);
    }
    return new ExchangeRequest(module, version, null, path.get(1), null, "{}", null, false);
  }

  /**
   * The arrow-udf function name {@code module[@version].function} (the one element of the
   * descriptor path the engines send, engines.md "Naming").
   */
  static ExchangeRequest udfName(String name) {
    int dot = name.lastIndexOf('.');
    if (dot <= 0 || dot == name.length() - 1) {
      throw new WasmFlightException.BadRequest(
          "function name '"
              + name
              + "' must be module.function (e.g. 'gcd.gcd'), or module@version.function: the "
              + "arrow-udf protocol names a wasm-flight function by a descriptor path of one "
              + "element");
    }
    String module = name.substring(0, dot);
    Integer version = null;
    int at = module.indexOf('@');
    if (at >= 0) {
      version = parseVersion(module.substring(at + 1), name);
      module = module.substring(0, at);
    }
    return new ExchangeRequest(
        module, version, null, name.substring(dot + 1), null, "{}", null, true);
  }

  /** The name of this function in the arrow-udf protocol: {@code module[@version].function}. */
  public String udfName() {
    return moduleRef() + "." + function;
  }

  /** The version in {@code module@version} (a path element, a describe name). */
  public static int parseVersion(String text, String whole) {
    if (!text.matches("[0-9]{1,10}")) {
      throw new WasmFlightException.BadRequest(
          "'"
              + whole
              + "': the version after '@' must be an integer from 1 to "
              + ModuleRegistry.MAX_VERSION);
    }
    long v = Long.parseLong(text);
    ModuleRegistry.checkVersion(v);
    return (int) v;
  }

  /** The module and version as a caller wrote them: {@code name} or {@code name@version}. */
  public String moduleRef() {
    return version == null ? module : module + "@" + version;
  }
}
