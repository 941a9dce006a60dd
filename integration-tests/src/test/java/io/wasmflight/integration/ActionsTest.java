package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** register / list / describe / unregister, persistence across restarts, and discovery. */
class ActionsTest {
  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** echo.wat with a different heap start: other bytes, same behaviour. */
  static byte[] echoVariant() {
    return Wat2Wasm.parse(
        Guests.watSource("good/echo").replace("(i32.const 4096)", "(i32.const 8192)"));
  }

  @Test
  void registerDescribesTheModule() throws Exception {
    try (TestServer s = TestServer.start()) {
      byte[] wasm = Guests.wat("good/echo");
      JsonNode r = s.register("echo", wasm);
      assertEquals("echo", r.get("name").asText());
      assertEquals(sha256(wasm), r.get("sha256").asText());
      assertEquals(wasm.length, r.get("size_bytes").asInt());
      assertEquals("1.0", r.get("abi_version").asText());
      assertFalse(r.get("replaced").asBoolean());
      JsonNode f = r.get("functions").get(0);
      assertEquals("echo", f.get("name").asText());
      assertEquals("map", f.get("kind").asText());
      assertFalse(f.get("takes_options").asBoolean());
      assertTrue(f.get("output").isNull());
      assertEquals(r.get("sha256"), s.action("describe", "{\"name\":\"echo\"}").get("sha256"));
    }
  }

  @Test
  void reRegisteringReplacesOnlyWhenTheBytesDiffer() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("echo", Guests.wat("good/echo"));
      assertFalse(s.register("echo", Guests.wat("good/echo")).get("replaced").asBoolean());
      JsonNode r = s.register("echo", echoVariant());
      assertTrue(r.get("replaced").asBoolean());
      assertEquals(
          sha256(echoVariant()),
          s.action("describe", "{\"name\":\"echo\"}").get("sha256").asText());
    }
  }

  @Test
  void listIsSortedAndUnregisterRemoves() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("zeta", Guests.wat("good/echo"));
      s.register("alpha", Guests.wat("good/echo"));
      JsonNode list = s.action("list", "");
      assertEquals(2, list.size());
      assertEquals("alpha", list.get(0).get("name").asText());
      assertEquals("zeta", list.get(1).get("name").asText());
      assertEquals(list, s.action("list", "{}"));

      JsonNode u = s.action("unregister", "{\"name\":\"zeta\"}");
      assertTrue(u.get("unregistered").asBoolean());
      assertEquals(1, s.action("list", "").size());
      assertFalse(Files.exists(s.dataDir.resolve("modules/zeta")));
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> s.action("describe", "{\"name\":\"zeta\"}"),
          "not found: no module named 'zeta' is registered");
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> s.action("unregister", "{\"name\":\"zeta\"}"),
          "no module named 'zeta'");
    }
  }

  @Test
  void modulesSurviveARestart() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("echo", Guests.wat("good/echo"));
      Files.writeString(s.dataDir.resolve("modules/broken.wasm"), "not wasm");
      s.restart();
      JsonNode list = s.action("list", "");
      assertEquals(1, list.size(), "the broken file is skipped, the good one loaded: " + list);
      assertEquals("echo", list.get(0).get("name").asText());
      try (VectorSchemaRoot in =
          VectorSchemaRoot.create(EchoExchangeTest.allTypes(), s.allocator)) {
        Exchange.Outcome o =
            Exchange.run(
                s.client(),
                FlightDescriptor.path("echo", "echo"),
                in,
                1,
                i -> EchoExchangeTest.fill(in, 100, i),
                out -> {});
        assertEquals(List.of(100), o.batchRows());
      }
    }
  }

  @Test
  void actionsAndFlightsAreListed() throws Exception {
    try (TestServer s = TestServer.start()) {
      List<String> names = new ArrayList<>();
      for (ActionType t : s.client().listActions()) {
        names.add(t.getType());
        assertFalse(t.getDescription().isBlank());
      }
      assertEquals(
          List.of("register", "list", "describe", "unregister", "set-default", "protocol_version"),
          names);

      s.register("echo", Guests.wat("good/echo"));
      s.register("misbehave", Guests.wat("hostile/misbehave"));
      List<String> flights = new ArrayList<>();
      for (FlightInfo info : s.client().listFlights(Criteria.ALL)) {
        flights.add(String.join("/", info.getDescriptor().getPath()));
        assertTrue(info.getEndpoints().isEmpty());
      }
      assertTrue(flights.contains("echo/echo"), flights.toString());
      assertTrue(flights.contains("misbehave/fail"), flights.toString());

      FlightInfo info = s.client().getInfo(FlightDescriptor.path("echo", "echo"));
      assertEquals(new Schema(List.of()), info.getSchema());
      JsonNode meta = TestServer.JSON.readTree(info.getAppMetadata());
      assertEquals("echo", meta.get("module").asText());
      assertEquals("map", meta.get("kind").asText());
      FlightInfo byCommand =
          s.client()
              .getInfo(
                  FlightDescriptor.command(
                      "{\"module\":\"echo\",\"function\":\"echo\"}"
                          .getBytes(StandardCharsets.UTF_8)));
      assertEquals(
          "echo", TestServer.JSON.readTree(byCommand.getAppMetadata()).get("module").asText());
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> s.client().getSchema(FlightDescriptor.path("echo", "echo")),
          "declares no output schema");
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> s.client().getInfo(FlightDescriptor.path("echo", "nope")),
          "module 'echo' has no function 'nope'; it has: echo");
    }
  }
}
