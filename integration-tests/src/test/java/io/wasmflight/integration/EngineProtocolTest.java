package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wabt.Wat2Wasm;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrow-udf remote UDF protocol (proto-docs/engines.md), driven by the engines' own client code
 * paths re-implemented from their sources: RisingWave's ({@link ArrowUdfClient}) and Databend's
 * ({@link DatabendUdfClient}). The functions here are echo.wat with a catalog that declares
 * signatures: {@code echo_i64(int64) -> int64} and {@code echo_str(utf8) -> utf8}; the Rust
 * examples {@code gcd} and {@code series} are in {@link EngineExamplesTest}.
 */
class EngineProtocolTest {
  static final ArrowType I64 = new ArrowType.Int(64, true);
  static final ArrowType I32 = new ArrowType.Int(32, true);
  static final String CATALOG =
      "{\"functions\":["
          + "{\"name\":\"echo_i64\",\"kind\":\"map\",\"export\":\"wf_fn_echo\","
          + "\"input\":[{\"name\":\"x\",\"format\":\"l\"}],"
          + "\"output\":[{\"name\":\"echo_i64\",\"format\":\"l\"}]},"
          + "{\"name\":\"echo_str\",\"kind\":\"map\",\"export\":\"wf_fn_echo\","
          + "\"input\":[{\"name\":\"s\",\"format\":\"u\"}],"
          + "\"output\":[{\"name\":\"echo_str\",\"format\":\"u\"}]},"
          + "{\"name\":\"echo\",\"kind\":\"map\",\"export\":\"wf_fn_echo\"}"
          + "]}";

  static TestServer server;

  static byte[] guest() {
    String original =
        "{\\\"functions\\\":[{\\\"name\\\":\\\"echo\\\",\\\"kind\\\":\\\"map\\\","
            + "\\\"export\\\":\\\"wf_fn_echo\\\"}]}";
    String src = Guests.watSource("good/echo");
    assertTrue(src.contains(original), "echo.wat's catalog changed");
    return Wat2Wasm.parse(src.replace(original, CATALOG.replace("\"", "\\\"")));
  }

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register("sigs", guest());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static VectorSchemaRoot longs(Schema schema, Long... values) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, server.allocator);
    BigIntVector v = (BigIntVector) root.getVector(0);
    v.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        v.setNull(i);
      } else {
        v.set(i, values[i]);
      }
    }
    root.setRowCount(values.length);
    return root;
  }

  @Test
  void risingWaveSeesProtocolVersion2AndTheSignatureSplitByTotalRecords() {
    try (ArrowUdfClient rw = new ArrowUdfClient(server)) {
      assertEquals(2, rw.protocolVersion());
      ArrowUdfClient.Function f = rw.get("sigs.echo_i64");
      assertEquals("sigs.echo_i64", f.name());
      assertEquals(1, f.args().getFields().size());
      assertEquals(I64, f.args().getFields().get(0).getType());
      assertEquals(List.of("echo_i64"), names(f.returns()));
      // CREATE FUNCTION echo_i64(bigint) RETURNS bigint AS 'sigs.echo_i64' USING LINK ...
      rw.createFunction("sigs.echo_i64", List.of(I64), I64, false);
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> rw.createFunction("sigs.echo_i64", List.of(I32), I64, false));
      assertTrue(e.getMessage().startsWith("argument type mismatch"), e.getMessage());
      e =
          assertThrows(
              IllegalStateException.class,
              () -> rw.createFunction("sigs.echo_i64", List.of(I64), I64, true));
      assertTrue(e.getMessage().startsWith("return type mismatch"), e.getMessage());
    }
  }

  static List<String> names(Schema s) {
    return s.getFields().stream().map(org.apache.arrow.vector.types.pojo.Field::getName).toList();
  }

  @Test
  void risingWaveCallsWithUnnamedColumnsAndTheDescriptorOnEveryMessage() throws Exception {
    try (ArrowUdfClient rw = new ArrowUdfClient(server)) {
      for (int call = 0; call < 5; call++) {
        Long[] values = new Long[100 + call];
        for (int i = 0; i < values.length; i++) {
          values[i] = i % 7 == 3 ? null : (long) call * 1000 + i;
        }
        try (VectorSchemaRoot in = longs(ArrowUdfClient.argSchema(List.of(I64)), values)) {
          ArrowUdfClient.Output out = rw.call("sigs.echo_i64", in);
          assertTrue(out.ok(), () -> out.status().toString());
          assertEquals(List.of("echo_i64"), names(out.schema()));
          List<Object> got = out.rows().stream().map(r -> r.get(0)).toList();
          assertEquals(Arrays.asList((Object[]) values), got);
        }
      }
    }
  }

  @Test
  void aWrongArgumentTypeIsRefusedBeforeTheGuestRuns() throws Exception {
    try (ArrowUdfClient rw = new ArrowUdfClient(server);
        VectorSchemaRoot in =
            VectorSchemaRoot.create(ArrowUdfClient.argSchema(List.of(I32)), server.allocator)) {
      in.allocateNew();
      in.setRowCount(0);
      ArrowUdfClient.Output out = rw.call("sigs.echo_i64", in);
      assertEquals(Status.Code.INVALID_ARGUMENT, out.status().getCode());
      assertTrue(
          out.status()
              .getDescription()
              .contains("argument 0 is of type Int(32, true), declared Int(64, true)"),
          out.status().getDescription());
    }
  }

  @Test
  void databendChecksTheLastFieldAsReturnAndSendsLargeUtf8InSlices() throws Exception {
    DatabendUdfClient db = new DatabendUdfClient(server, 3, "tenant-1", "query-42");
    var nullableString = new DatabendUdfClient.Type(ArrowType.Utf8.INSTANCE, true);
    db.checkSchema("sigs.echo_str", List.of(nullableString), nullableString);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                db.checkSchema(
                    "sigs.echo_str",
                    List.of(new DatabendUdfClient.Type(ArrowType.Utf8.INSTANCE, false)),
                    nullableString));
    assertTrue(e.getMessage().startsWith("UDF arg types mismatch"), e.getMessage());

    // Databend sends STRING as large_utf8: the host hands the guest the declared utf8.
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      values.add(i == 4 ? null : "row-" + i + "-é");
    }
    Schema schema =
        new Schema(List.of(DatabendUdfClient.field(ArrowType.LargeUtf8.INSTANCE, true)));
    try (VectorSchemaRoot block = VectorSchemaRoot.create(schema, server.allocator)) {
      LargeVarCharVector v = (LargeVarCharVector) block.getVector(0);
      v.allocateNew();
      for (int i = 0; i < values.size(); i++) {
        if (values.get(i) == null) {
          v.setNull(i);
        } else {
          v.setSafe(i, values.get(i).getBytes(StandardCharsets.UTF_8));
        }
      }
      v.setValueCount(values.size());
      block.setRowCount(values.size());
      List<List<Object>> rows = db.doExchange("sigs.echo_str", block);
      assertEquals(values, rows.stream().map(r -> r.get(0)).toList());
    }
  }

  @Test
  void onlyFunctionsWithADeclaredSignatureAreRemoteUdfs() {
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> server.client().getInfo(FlightDescriptor.path("sigs.echo")),
        "function 'sigs.echo' cannot be called as a remote UDF",
        "declares no 'input'");
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () -> server.client().getInfo(FlightDescriptor.path("echo_i64")),
        "must be module.function");
    assertFlightError(
        FlightStatusCode.NOT_FOUND,
        () -> server.client().getInfo(FlightDescriptor.path("nosuch.echo_i64")),
        "nosuch");
    assertFlightError(
        FlightStatusCode.NOT_FOUND,
        () -> server.client().getInfo(FlightDescriptor.path("sigs.nosuch")),
        "nosuch");
  }

  @Test
  void listFlightsWithCriteriaUdfListsTheRemoteUdfsByName() {
    try (ArrowUdfClient rw = new ArrowUdfClient(server)) {
      List<ArrowUdfClient.Function> udfs = rw.list("udf".getBytes(StandardCharsets.UTF_8));
      assertEquals(
          "sigs.echo_i64(Int(64, true)) -> [Int(64, true)], sigs.echo_str(Utf8) -> [Utf8]",
          udfs.stream()
              .map(
                  f ->
                      f.name()
                          + f.args().getFields().stream()
                              .map(x -> x.getType().toString())
                              .collect(Collectors.joining(", ", "(", ")"))
                          + " -> "
                          + f.returns().getFields().stream().map(x -> x.getType()).toList())
              .sorted()
              .collect(Collectors.joining(", ")));
    }
    // Without criteria, the native listing: [module, function] paths, every function.
    List<String> nativePaths = new ArrayList<>();
    for (FlightInfo info : server.client().listFlights(Criteria.ALL)) {
      nativePaths.add(String.join("/", info.getDescriptor().getPath()));
    }
    assertEquals(
        List.of("sigs/echo", "sigs/echo_i64", "sigs/echo_str"),
        nativePaths.stream().sorted().toList());
    assertFlightError(
        FlightStatusCode.INVALID_ARGUMENT,
        () ->
            server
                .client()
                .listFlights(new Criteria("nope".getBytes(StandardCharsets.UTF_8)))
                .forEach(i -> {}),
        "criteria 'nope' is not understood");
    assertFalse(nativePaths.isEmpty());
  }
}
