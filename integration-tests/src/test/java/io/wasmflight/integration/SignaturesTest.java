package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Declared input schemas (checked before the guest runs) and declared outputs that differ from the
 * guest's only in names or nullability (the declared schema wins), with echo.wat's catalog edited:
 * {@code sig} declares its input, {@code renamed} its output.
 */
class SignaturesTest {
  static final String CATALOG =
      "{\"functions\":["
          + "{\"name\":\"sig\",\"kind\":\"map\",\"export\":\"wf_fn_echo\",\"input\":["
          + "{\"name\":\"a\",\"format\":\"l\",\"nullable\":false},{\"name\":\"b\",\"format\":\"u\"}]},"
          + "{\"name\":\"renamed\",\"kind\":\"map\",\"export\":\"wf_fn_echo\",\"output\":["
          + "{\"name\":\"x\",\"format\":\"l\",\"nullable\":false},{\"name\":\"y\",\"format\":\"u\"}]}"
          + "]}";

  static byte[] guest() {
    String original =
        "{\\\"functions\\\":[{\\\"name\\\":\\\"echo\\\",\\\"kind\\\":\\\"map\\\","
            + "\\\"export\\\":\\\"wf_fn_echo\\\"}]}";
    String src = Guests.watSource("good/echo");
    assertTrue(src.contains(original), "echo.wat's catalog changed");
    return Wat2Wasm.parse(src.replace(original, CATALOG.replace("\"", "\\\"")));
  }

  static final Field A = Field.nullable("a", new ArrowType.Int(64, true));
  static final Field B = Field.nullable("b", ArrowType.Utf8.INSTANCE);

  /** One 3-row batch of {@code fields} (int64 1,2,3 — null at row 1 when asked — or "r0".."r2"). */
  static long run(TestServer s, String fn, boolean nullInInts, Field... fields) throws Exception {
    List<String> names = new ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(new Schema(List.of(fields)), s.allocator)) {
      return Exchange.run(
              s.client(),
              FlightDescriptor.path("sigs", fn),
              in,
              1,
              i -> {
                for (FieldVector v : in.getFieldVectors()) {
                  v.allocateNew();
                  for (int r = 0; r < 3; r++) {
                    if (v instanceof BigIntVector x) {
                      if (nullInInts && r == 1) {
                        x.setNull(r);
                      } else {
                        x.setSafe(r, r + 1);
                      }
                    } else if (v instanceof IntVector x) {
                      x.setSafe(r, r);
                    } else if (v instanceof VarCharVector x) {
                      x.setSafe(r, ("r" + r).getBytes(StandardCharsets.UTF_8));
                    }
                  }
                  v.setValueCount(3);
                }
                in.setRowCount(3);
              },
              out -> names.add(out.getSchema().getFields().toString()))
          .rows();
    }
  }

  @Test
  void aDeclaredInputIsCheckedBeforeTheGuestRuns() throws Exception {
    try (TestServer s = TestServer.start()) {
      JsonNode r = s.register("sigs", guest());
      JsonNode sig = r.get("functions").get(0);
      assertEquals("a", sig.get("input").get(0).get("name").asText());
      assertFalse(sig.get("input").get(0).get("nullable").asBoolean());
      assertEquals("u", sig.get("input").get(1).get("format").asText());

      assertEquals(3, run(s, "sig", false, A, B));
      var bad = FlightStatusCode.INVALID_ARGUMENT;
      assertFlightError(
          bad,
          () -> run(s, "sig", false, B, A),
          "the input does not match the declared input of function 'sig'",
          "input column 0 is 'b', declared 'a'",
          "(the columns are in another order)");
      assertFlightError(
          bad,
          () -> run(s, "sig", false, A, B, Field.nullable("c", ArrowType.Utf8.INSTANCE)),
          "the input has an extra column 2 'c'");
      assertFlightError(bad, () -> run(s, "sig", false, A), "the input is missing column 1 'b'");
      assertFlightError(
          bad,
          () -> run(s, "sig", false, Field.nullable("a", new ArrowType.Int(32, true)), B),
          "input column 0 'a' is of type Int(32, true), declared 'a' Int(64, true)");
      assertFlightError(
          bad,
          () -> run(s, "sig", true, A, B),
          "input column 0 'a' has 1 null(s); the function declares it non-nullable");
      // A non-nullable field satisfies a nullable declaration.
      assertEquals(
          3,
          run(
              s,
              "sig",
              false,
              A,
              new Field("b", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));

      FlightInfo info = s.client().getInfo(FlightDescriptor.path("sigs", "sig"));
      JsonNode meta = TestServer.JSON.readTree(info.getAppMetadata());
      assertEquals(2, meta.get("input").size());
      assertEquals(info.getSchema().getFields(), List.of());
      Schema discovered = s.client().getSchema(FlightDescriptor.path("sigs", "sig")).getSchema();
      assertEquals(
          meta.get("input"),
          TestServer.JSON.readTree(discovered.getCustomMetadata().get("wasm_flight.input")));
    }
  }

  @Test
  void theDeclaredOutputWinsOverNamesAndNullability() throws Exception {
    try (TestServer s = TestServer.start()) {
      s.register("sigs", guest());
      Schema declared = s.client().getSchema(FlightDescriptor.path("sigs", "renamed")).getSchema();
      assertEquals("[x: Int(64, true) not null, y: Utf8]", declared.getFields().toString());
      List<String> seen = new ArrayList<>();
      Schema schema = new Schema(List.of(A, B));
      try (VectorSchemaRoot in = VectorSchemaRoot.create(schema, s.allocator)) {
        Exchange.Outcome o =
            Exchange.run(
                s.client(),
                FlightDescriptor.path("sigs", "renamed"),
                in,
                1,
                i -> {
                  BigIntVector a = (BigIntVector) in.getVector(0);
                  VarCharVector b = (VarCharVector) in.getVector(1);
                  a.allocateNew(2);
                  b.allocateNew();
                  a.set(0, 7);
                  a.set(1, 8);
                  b.setSafe(0, "p".getBytes(StandardCharsets.UTF_8));
                  b.setNull(1);
                  a.setValueCount(2);
                  b.setValueCount(2);
                  in.setRowCount(2);
                },
                out ->
                    seen.add(
                        out.getVector("x").getObject(1) + "," + out.getVector("y").getObject(1)));
        assertEquals(declared.getFields(), o.schema().getFields());
        assertEquals(List.of("8,null"), seen);
      }
      assertFlightError(
          FlightStatusCode.INTERNAL,
          () -> run(s, "renamed", true, A, B),
          "guest error in sigs/renamed",
          "output column 0 ('x') has 1 null(s), but the catalog declares it non-nullable");
    }
  }
}
