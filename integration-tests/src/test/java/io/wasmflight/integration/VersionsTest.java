package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Versions side by side, pinning, rollback, unregister of one or all, and the store on disk. */
class VersionsTest {
  static final byte[] V1 = Guests.wat("good/echo");
  static final byte[] V2 = ActionsTest.echoVariant();

  static JsonNode registerVersion(TestServer s, String name, byte[] wasm, int version) {
    return s.action(
        "register",
        "{\"name\":\""
            + name
            + "\",\"version\":"
            + version
            + ",\"wasm\":\""
            + Base64.getEncoder().encodeToString(wasm)
            + "\"}");
  }

  static List<Integer> versions(JsonNode description) {
    List<Integer> out = new ArrayList<>();
    description.get("versions").forEach(v -> out.add(v.get("version").asInt()));
    return out;
  }

  /** Runs echo/echo over one 3-row int64 batch through {@code d}; returns the output rows. */
  static long echo(TestServer s, FlightDescriptor d) throws Exception {
    Schema schema = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
    try (VectorSchemaRoot in = VectorSchemaRoot.create(schema, s.allocator)) {
      return Exchange.run(
              s.client(),
              d,
              in,
              1,
              i -> {
                BigIntVector x = (BigIntVector) in.getVector(0);
                x.allocateNew(3);
                for (int r = 0; r < 3; r++) {
                  x.set(r, r);
                }
                in.setRowCount(3);
              },
              out -> {})
          .rows();
    }
  }

  static FlightDescriptor command(String json) {
    return FlightDescriptor.command(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void versionsAreAssignedAndTheNewestBecomesTheDefault() throws Exception {
    try (TestServer s = TestServer.start()) {
      JsonNode r1 = s.register("echo", V1);
      assertEquals(1, r1.get("version").asInt());
      assertTrue(r1.get("created").asBoolean());
      assertFalse(r1.get("replaced").asBoolean());
      JsonNode r2 = s.register("echo", V2);
      assertEquals(2, r2.get("version").asInt());
      assertTrue(r2.get("replaced").asBoolean());
      assertEquals(2, r2.get("default_version").asInt());
      assertEquals(List.of(1, 2), versions(r2));

      JsonNode again = s.register("echo", V1);
      assertFalse(again.get("created").asBoolean(), "the same bytes are not a new version");
      assertEquals(1, again.get("version").asInt());
      assertEquals(2, again.get("default_version").asInt(), "the default did not move");

      JsonNode list = s.action("list", "");
      assertEquals(1, list.size());
      assertEquals(2, list.get(0).get("version").asInt());
      assertEquals(List.of(1, 2), versions(list.get(0)));
      assertEquals(
          ActionsTest.sha256(V1),
          s.action("describe", "{\"name\":\"echo@1\"}").get("sha256").asText());
      assertEquals(
          ActionsTest.sha256(V1),
          s.action("describe", "{\"name\":\"echo\",\"version\":1}").get("sha256").asText());
      assertEquals(
          ActionsTest.sha256(V2),
          s.action("describe", "{\"name\":\"echo\"}").get("sha256").asText());

      assertEquals(3, echo(s, FlightDescriptor.path("echo@1", "echo")));
      assertEquals(3, echo(s, FlightDescriptor.path("echo", "echo")));
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> echo(s, FlightDescriptor.path("echo@7", "echo")),
          "module 'echo' has no version 7; it has: 1, 2");
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () -> echo(s, FlightDescriptor.path("echo@x", "echo")),
          "the version after '@' must be an integer");
    }
  }

  @Test
  void aSha256PinIsCheckedAgainstTheVersion() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("echo", V1);
      s.register("echo", V2);
      String sha1 = ActionsTest.sha256(V1);
      assertEquals(
          3,
          echo(
              s,
              command(
                  "{\"module\":\"echo\",\"function\":\"echo\",\"version\":1,\"sha256\":\""
                      + sha1.toUpperCase(java.util.Locale.ROOT)
                      + "\"}")));
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () ->
              echo(
                  s,
                  command(
                      "{\"module\":\"echo\",\"function\":\"echo\",\"sha256\":\"" + sha1 + "\"}")),
          "sha256 pin does not match: module 'echo' version 2 (the default) has sha256 "
              + ActionsTest.sha256(V2),
          "version 1 has those bytes");
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () ->
              s.client()
                  .getSchema(
                      command("{\"module\":\"echo\",\"function\":\"echo\",\"sha256\":\"ab\"}")),
          "invalid sha256 'ab'");
      assertEquals(
          1,
          TestServer.JSON
              .readTree(
                  s.client()
                      .getInfo(command("{\"module\":\"echo\",\"function\":\"echo\",\"version\":1}"))
                      .getAppMetadata())
              .get("version")
              .asInt());
    }
  }

  @Test
  void setDefaultRollsBackAndUnregisterRemovesOneOrAll() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("echo", V1);
      s.register("echo", V2);
      JsonNode d = s.action("set-default", "{\"name\":\"echo\",\"version\":1}");
      assertEquals(1, d.get("default_version").asInt());
      assertEquals(ActionsTest.sha256(V1), d.get("sha256").asText());
      assertEquals(
          ActionsTest.sha256(V1),
          s.action("describe", "{\"name\":\"echo\"}").get("sha256").asText());
      assertFlightError(
          FlightStatusCode.NOT_FOUND,
          () -> s.action("set-default", "{\"name\":\"echo\",\"version\":9}"),
          "has no version 9");

      // Restart: same versions, same default, same metadata.
      JsonNode before = s.action("list", "");
      s.restart();
      JsonNode after = s.action("list", "");
      assertEquals(before.get(0).get("versions"), after.get(0).get("versions"));
      assertEquals(1, after.get(0).get("default_version").asInt());

      JsonNode u = s.action("unregister", "{\"name\":\"echo@1\"}");
      assertEquals("[1]", u.get("versions").toString());
      assertEquals(2, s.action("describe", "{\"name\":\"echo\"}").get("default_version").asInt());
      assertFalse(Files.exists(s.dataDir.resolve("modules/echo/1.wasm")));
      JsonNode r3 = s.register("echo", V1);
      assertEquals(3, r3.get("version").asInt(), "version numbers are not reused");

      JsonNode all = s.action("unregister", "{\"name\":\"echo\"}");
      assertEquals("[2,3]", all.get("versions").toString());
      assertEquals(0, s.action("list", "").size());
      assertFalse(Files.exists(s.dataDir.resolve("modules/echo")));
    }
  }

  @Test
  void anExplicitVersionIsImmutable() throws Exception {
    try (TestServer s = TestServer.start()) {
      assertEquals(5, registerVersion(s, "echo", V1, 5).get("version").asInt());
      assertFalse(registerVersion(s, "echo", V1, 5).get("created").asBoolean());
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () -> registerVersion(s, "echo", V2, 5),
          "already has a version 5 with other bytes");
      assertEquals(6, s.register("echo", V2).get("version").asInt());
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () -> registerVersion(s, "echo", V2, 0),
          "invalid version 0");
    }
  }

  @Test
  void theStoreSurvivesCrashLeftoversAndCorruption() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("echo", V1);
      s.register("echo", V2);
      Path dir = s.dataDir.resolve("modules/echo");
      String meta = Files.readString(dir.resolve("2.json"));
      assertTrue(meta.contains("\"sha256\":\"" + ActionsTest.sha256(V2) + "\""), meta);
      assertTrue(meta.contains("\"registered_by\":\"\""), meta);
      // What a kill in the middle of a register leaves: a temp file, bytes without metadata.
      Files.write(dir.resolve("3.wasm.123.tmp"), new byte[] {1, 2});
      Files.write(dir.resolve("3.wasm"), V1);
      // And a corrupted version: its bytes no longer match the metadata.
      Files.write(dir.resolve("1.wasm"), V2);
      s.restart();
      JsonNode d = s.action("describe", "{\"name\":\"echo\"}");
      assertEquals(List.of(2), versions(d), "the corrupt version is skipped: " + d);
      assertFalse(Files.exists(dir.resolve("3.wasm")), "an uncommitted version is removed");
      assertFalse(Files.exists(dir.resolve("3.wasm.123.tmp")), "temp files are removed");
      assertTrue(Files.exists(dir.resolve("1.json")), "a corrupt version is left for inspection");
    }
  }

  @Test
  void theFlatLayoutIsMigratedAsVersionOne() throws Exception {
    try (TestServer s = TestServer.start()) {
      Path modules = s.dataDir.resolve("modules");
      Files.write(modules.resolve("old.wasm"), V1);
      s.restart();
      JsonNode d = s.action("describe", "{\"name\":\"old\"}");
      assertEquals(1, d.get("version").asInt());
      assertEquals(ActionsTest.sha256(V1), d.get("sha256").asText());
      assertFalse(Files.exists(modules.resolve("old.wasm")));
      assertTrue(Files.exists(modules.resolve("old/1.wasm")));
      assertEquals(3, echo(s, FlightDescriptor.path("old", "echo")));
      assertEquals(2, s.register("old", V2).get("version").asInt());
    }
  }

  @Test
  void aFlatFileBesideVersionsIsMigratedOnlyWhenItsBytesAreOne() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("both", V1);
      Path modules = s.dataDir.resolve("modules");
      Files.write(modules.resolve("both.wasm"), V1); // a migration interrupted before the delete
      Files.write(modules.resolve("other.wasm"), V2);
      s.restart();
      assertFalse(Files.exists(modules.resolve("both.wasm")), "the leftover is removed");
      assertEquals(List.of(1), versions(s.action("describe", "{\"name\":\"both\"}")));
      Files.write(modules.resolve("both.wasm"), V2); // other bytes: never silently dropped
      s.restart();
      assertTrue(Files.exists(modules.resolve("both.wasm")));
      assertEquals(List.of(1), versions(s.action("describe", "{\"name\":\"both\"}")));
      assertEquals(
          ActionsTest.sha256(V2),
          s.action("describe", "{\"name\":\"other\"}").get("sha256").asText());
    }
  }
}
