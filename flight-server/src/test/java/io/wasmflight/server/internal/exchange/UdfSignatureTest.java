package io.wasmflight.server.internal.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.registry.FunctionSpec;
import io.wasmflight.server.internal.registry.UdfSignature;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Which functions the arrow-udf protocol can call, and how their input is matched. */
class UdfSignatureTest {
  static final ArrowType I32 = new ArrowType.Int(32, true);

  static Schema schema(Field... f) {
    return new Schema(List.of(f));
  }

  static Field f(String name, ArrowType t) {
    return Field.nullable(name, t);
  }

  static FunctionSpec map(Schema in, Schema out) {
    return new FunctionSpec("gcd", FunctionSpec.Kind.MAP, "wf_fn_gcd", null, in, out, null, null);
  }

  @Test
  void aScalarFunctionIsAMapWithDeclaredInputAndOneOutputColumn() {
    Schema in = schema(f("a", I32), f("b", I32));
    UdfSignature s = UdfSignature.of("gcd.gcd", map(in, schema(f("gcd", I32))));
    assertEquals(2, s.inputCount());
    Schema full = s.flightSchema();
    assertEquals(List.of("a", "b", "gcd"), full.getFields().stream().map(Field::getName).toList());
    assertEquals("2", full.getCustomMetadata().get(UdfSignature.INPUT_COUNT_METADATA));

    String why =
        assertThrows(
                WasmFlightException.BadRequest.class,
                () -> UdfSignature.of("m.f", map(in, schema(f("x", I32), f("y", I32)))))
            .getMessage();
    assertTrue(why.contains("returns one column, its declared output has 2"), why);
    why =
        assertThrows(
                WasmFlightException.BadRequest.class,
                () -> UdfSignature.of("m.f", map(null, schema(f("x", I32)))))
            .getMessage();
    assertTrue(why.contains("declares no 'input'"), why);
    assertFalse(UdfSignature.callable(map(in, null)));
  }

  @Test
  void aTableFunctionLeadsWithItsRowIndexColumn() {
    Schema in = schema(f("n", I32));
    Field row = new Field("row", FieldType.notNullable(I32), null);
    FunctionSpec series =
        new FunctionSpec(
            "series",
            FunctionSpec.Kind.TABLE,
            "wf_fn_series",
            null,
            in,
            schema(row, f("series", I32)),
            null,
            "row");
    assertTrue(UdfSignature.callable(series));
    FunctionSpec noRow =
        new FunctionSpec(
            "t", FunctionSpec.Kind.TABLE, "wf_fn_t", null, in, schema(f("v", I32)), null, null);
    assertFalse(UdfSignature.callable(noRow));
    FunctionSpec filter =
        new FunctionSpec("p", FunctionSpec.Kind.FILTER, "wf_fn_p", null, in, null, null, null);
    String why =
        assertThrows(WasmFlightException.BadRequest.class, () -> UdfSignature.of("m.p", filter))
            .getMessage();
    assertTrue(why.contains("of kind 'filter'"), why);
  }

  @Test
  void inputIsMatchedByPositionAndTypeNotName() {
    UdfSignature s =
        UdfSignature.of(
            "m.f", map(schema(f("a", I32), f("s", ArrowType.Utf8.INSTANCE)), schema(f("r", I32))));
    s.checkInput(schema(f("", I32), f("", ArrowType.Utf8.INSTANCE)));
    s.checkInput(schema(f("x", I32), f("y", ArrowType.LargeUtf8.INSTANCE)));
    s.checkInput(schema(f("x", I32), f("y", ArrowType.Utf8View.INSTANCE)));
    String why =
        assertThrows(
                WasmFlightException.BadRequest.class,
                () -> s.checkInput(schema(f("", new ArrowType.Int(64, true)), f("", I32))))
            .getMessage();
    assertTrue(why.contains("argument 0 is of type Int(64, true)"), why);
    why =
        assertThrows(WasmFlightException.BadRequest.class, () -> s.checkInput(schema(f("", I32))))
            .getMessage();
    assertTrue(why.contains("it has 1 column(s), the function takes 2"), why);
    assertTrue(UdfSignature.compatible(ArrowType.Binary.INSTANCE, ArrowType.LargeBinary.INSTANCE));
    assertFalse(UdfSignature.compatible(ArrowType.Binary.INSTANCE, ArrowType.Utf8.INSTANCE));
  }
}
