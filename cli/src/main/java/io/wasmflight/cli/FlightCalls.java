package io.wasmflight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.Result;

/** A server's actions as JSON, and the translation of a failed Flight call into a CliException. */
final class FlightCalls {
  static final ObjectMapper JSON = new ObjectMapper();

  private FlightCalls() {}

  /** Runs an action and returns its single JSON result. */
  static JsonNode action(FlightClient client, String type, Object body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new CliException(ExitCode.OTHER, "cannot encode the request: " + e.getMessage(), e);
    }
    try {
      Iterator<Result> results = client.doAction(new Action(type, bytes));
      JsonNode out = null;
      while (results.hasNext()) {
        out = JSON.readTree(new String(results.next().getBody(), StandardCharsets.UTF_8));
      }
      if (out == null) {
        throw new CliException(ExitCode.OTHER, "the server sent no result for " + type);
      }
      return out;
    } catch (FlightRuntimeException e) {
      throw failed(e);
    } catch (IOException e) {
      throw new CliException(ExitCode.OTHER, "the server's answer is not JSON: " + e, e);
    }
  }

  /** A failed Flight call as the CLI reports it: the server's message, the mapped exit code. */
  static CliException failed(FlightRuntimeException e) {
    String message = e.status().description();
    if (message == null || message.isEmpty()) {
      message = e.getMessage();
    }
    ExitCode code = ExitCode.of(e.status().code(), message);
    if (code == ExitCode.UNAVAILABLE) {
      message = "server unavailable: " + message;
    }
    return new CliException(code, message, e);
  }
}
