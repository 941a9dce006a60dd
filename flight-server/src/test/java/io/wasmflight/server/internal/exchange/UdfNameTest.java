package io.wasmflight.server.internal.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasmflight.server.WasmFlightException;
import org.apache.arrow.flight.FlightDescriptor;
import org.junit.jupiter.api.Test;

/** The arrow-udf protocol's one-element descriptor path: {@code module[@version].function}. */
class UdfNameTest {
  @Test
  void aOneElementPathIsModuleDotFunction() {
    ExchangeRequest r = ExchangeRequest.parse(FlightDescriptor.path("gcd.gcd"));
    assertTrue(r.udf());
    assertEquals("gcd", r.module());
    assertEquals("gcd", r.function());
    assertNull(r.version());
    assertEquals("gcd.gcd", r.udfName());
    assertEquals("{}", r.options());
  }

  @Test
  void theModuleMayNameAVersion() {
    ExchangeRequest r = ExchangeRequest.parse(FlightDescriptor.path("text-tools@12.series"));
    assertTrue(r.udf());
    assertEquals("text-tools", r.module());
    assertEquals(12, r.version());
    assertEquals("series", r.function());
    assertEquals("text-tools@12.series", r.udfName());
  }

  @Test
  void twoElementPathsAreTheNativeProtocol() {
    ExchangeRequest r = ExchangeRequest.parse(FlightDescriptor.path("gcd", "gcd"));
    assertFalse(r.udf());
  }

  @Test
  void aNameWithoutModuleOrFunctionIsRefusedWithTheForm() {
    for (String bad : new String[] {"gcd", ".gcd", "gcd.", ""}) {
      WasmFlightException.BadRequest e =
          assertThrows(
              WasmFlightException.BadRequest.class,
              () -> ExchangeRequest.parse(FlightDescriptor.path(bad)),
              bad);
      assertTrue(e.getMessage().contains("must be module.function"), e.getMessage());
    }
    WasmFlightException.BadRequest e =
        assertThrows(
            WasmFlightException.BadRequest.class,
            () -> ExchangeRequest.parse(FlightDescriptor.path("gcd@x.gcd")));
    assertTrue(e.getMessage().contains("the version after '@' must be an integer"), e.getMessage());
  }
}
