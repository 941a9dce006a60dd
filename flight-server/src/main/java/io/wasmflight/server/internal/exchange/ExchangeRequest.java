package io.wasmflight.server.internal.exchange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.Engine;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.guest.SessionLimits;
import io.wasmflight.server.internal.wire.InputReadGuard;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flight.FlightDescriptor;

/**
 * What a descriptor asks for: {@code path [module, function]} or a command JSON {@code {"module",
 * "function", "engine"?, "options"?, "limits"?}} (flight-protocol.md, "Descriptors").
 *
 * @param engine the requested engine, or null for the server default
 * @param options the options object as JSON text ({@code {}} when none were given)
 * @param limits the "limits" object as given, or null (see {@link SessionLimits})
 */
public record ExchangeRequest(
    String module, String function, Engine engine, String options, JsonNode limits) {
  private static final Set<String> COMMAND_KEYS =
      Set.of("module", "function", "engine", "options", "limits");

  public boolean hasOptions() {
    return !"{}".equals(options);
  }

  public static ExchangeRequest parse(FlightDescriptor descriptor) {
    if (descriptor.isCommand()) {
      ObjectNode cmd = Json.object(descriptor.getCommand(), "descriptor command", COMMAND_KEYS);
      String module = Json.requiredString(cmd, "module", "descriptor command");
      String function = Json.requiredString(cmd, "function", "descriptor command");
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
      return new ExchangeRequest(module, function, engine, options, cmd.get("limits"));
    }
    List<String> path = descriptor.getPath();
    InputReadGuard.checkNotStandIn(path);
    if (path.size() != 2) {
      throw new WasmFlightException.BadRequest(
          "descriptor path must be [module, function], got "
              + path.size()
              + " element(s): "
              + path);
    }
    return new ExchangeRequest(path.get(0), path.get(1), null, "{}", null);
  }
}
