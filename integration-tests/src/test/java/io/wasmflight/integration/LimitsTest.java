package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CPU-time, memory and Arrow limits: the server's defaults, lowered per exchange with the
 * descriptor's "limits", each hit ending the exchange with its own status while the server and its
 * threads stay healthy.
 */
class LimitsTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server =
        TestServer.start(c -> c.withCallTimeout(Duration.ofSeconds(5)).withMaxMemoryPages(256));
    server.register("misbehave", Guests.wat("hostile/misbehave"));
    server.register("add_one", Guests.rust("add_one"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor command(String module, String function, String engine, String limits) {
    return FlightDescriptor.command(
        ("{\"module\":\""
                + module
                + "\",\"function\":\""
                + function
                + "\",\"engine\":\""
                + engine
                + "\",\"limits\":"
                + limits
                + "}")
            .getBytes(StandardCharsets.UTF_8));
  }

  static void run(FlightDescriptor d, int batches, int rows) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(HostileGuestTest.SCHEMA, server.allocator)) {
      Exchange.run(
          server.client(),
          d,
          in,
          batches,
          b -> {
            in.allocateNew();
            BigIntVector n = (BigIntVector) in.getVector(1);
            for (int r = 0; r < rows; r++) {
              n.setSafe(r, r);
            }
            in.setRowCount(rows);
          },
          out -> {});
    }
  }

  static void runInts(FlightDescriptor d, int batches, int rows) throws Exception {
    try (VectorSchemaRoot in =
        VectorSchemaRoot.create(ExamplesExchangeTest.INT64, server.allocator)) {
      Exchange.run(
          server.client(),
          d,
          in,
          batches,
          b -> ExamplesExchangeTest.fillInts(in, b, rows),
          out -> {});
    }
  }

  /** Both infinite loops, on both engines, are stopped at the call time limit. */
  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource({"loop,aot", "loop,interpreter", "loop_br_if,aot", "loop_br_if,interpreter"})
  void infiniteLoopsAreStopped(String function, String engine) {
    long t0 = System.nanoTime();
    assertFlightError(
        FlightStatusCode.TIMED_OUT,
        () -> run(command("misbehave", function, engine, "{\"call_timeout_ms\":400}"), 1, 3),
        "time limit exceeded in misbehave/"
            + function
            + " ("
            + engine
            + ") at batch 0: "
            + "a call ran past its time limit of 400 ms; the guest was stopped");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // The limit is the guest's CPU time, so a loaded machine stretches the wall time this measures
    // (instantiation and transport included): the bound only catches a guest that runs on past
    // its deadline, which without the watchdog would be forever.
    assertTrue(ms < 5_000, "took " + ms + " ms for a 400 ms limit");
  }

  @Test
  void theThreadIsFreeAgainAfterATimeout() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertFlightError(
          FlightStatusCode.TIMED_OUT,
          () -> run(command("misbehave", "loop", "aot", "{\"call_timeout_ms\":50}"), 1, 1),
          "time limit");
    }
    // Exchanges right after run normally: no interrupt flag leaked into Flight's threads.
    for (int i = 0; i < 5; i++) {
      runInts(FlightDescriptor.path("add_one", "add_one"), 3, 1000);
    }
  }

  @Test
  void theSessionLimitCoversAllBatches() {
    // Each add_one batch is quick; 400 batches of 200k rows are not, within 300 ms.
    assertFlightError(
        FlightStatusCode.TIMED_OUT,
        () ->
            runInts(
                command("add_one", "add_one", "interpreter", "{\"session_timeout_ms\":300}"),
                400,
                200_000),
        "time limit exceeded in add_one/add_one (interpreter)",
        "the session ran past its time limit of 300 ms");
  }

  @Test
  void anExchangeMayLowerTheMemoryCap() {
    assertFlightError(
        FlightStatusCode.RESOURCE_EXHAUSTED,
        () -> run(command("misbehave", "memory_bomb", "aot", "{\"max_memory_pages\":8}"), 1, 3),
        "guest memory limit of 8 pages (0 MiB) reached");
    assertFlightError(
        FlightStatusCode.RESOURCE_EXHAUSTED,
        () -> run(FlightDescriptor.path("misbehave", "memory_bomb"), 1, 3),
        "guest memory limit of 256 pages (16 MiB) reached");
  }

  @Test
  void aModuleWhoseInitialMemoryIsAboveTheCapCannotStart() {
    assertFlightError(
        FlightStatusCode.RESOURCE_EXHAUSTED,
        () -> run(command("misbehave", "fail", "aot", "{\"max_memory_pages\":1}"), 1, 3),
        "module declares 2 initial memory pages, above the cap of 1");
  }

  @Test
  void limitsAboveTheServersAreRefused() {
    var bad = FlightStatusCode.INVALID_ARGUMENT;
    assertFlightError(
        bad,
        () -> run(command("misbehave", "fail", "aot", "{\"max_memory_pages\":100000}"), 1, 1),
        "'limits.max_memory_pages' asks for 100000, more than the server allows (256)");
    assertFlightError(
        bad,
        () -> run(command("misbehave", "fail", "aot", "{\"call_timeout_ms\":60000}"), 1, 1),
        "'limits.call_timeout_ms' asks for 60000, more than the server allows (5000)");
    assertFlightError(
        bad,
        () -> run(command("misbehave", "fail", "aot", "{\"call_timeout_ms\":0}"), 1, 1),
        "'limits.call_timeout_ms' must be a positive integer, got 0");
    assertFlightError(
        bad,
        () -> run(command("misbehave", "fail", "aot", "{\"cpu\":1}"), 1, 1),
        "'limits' has unknown field 'cpu'");
    assertFlightError(
        bad,
        () -> run(command("misbehave", "fail", "aot", "[1]"), 1, 1),
        "'limits' must be a JSON object");
  }

  @Test
  void registrationLimits() throws Exception {
    try (TestServer small = TestServer.start(c -> c.withMaxModuleBytes(1000))) {
      assertFlightError(
          FlightStatusCode.RESOURCE_EXHAUSTED,
          () -> small.register("add_one", Guests.rust("add_one")),
          "limit exceeded: module is "
              + Guests.rust("add_one").length
              + " bytes; the limit is 1000");
      // A body above gRPC's inbound limit (4/3 of the module limit + 1 MiB) is refused by gRPC.
      String huge = "{\"name\":\"x\",\"wasm\":\"" + "A".repeat(3 << 20) + "\"}";
      assertFlightError(
          FlightStatusCode.RESOURCE_EXHAUSTED,
          () -> small.action("register", huge),
          "exceeds maximum");
      assertEquals(0, small.action("list", "").size(), "and the server still answers");
    }
    try (TestServer slow = TestServer.start(c -> c.withCompileTimeout(Duration.ofMillis(1)))) {
      assertFlightError(
          FlightStatusCode.RESOURCE_EXHAUSTED,
          () -> slow.register("upper", Guests.rust("upper")),
          "limit exceeded: compilation took longer than 1 ms (the compile time limit)");
      assertEquals(0, slow.action("list", "").size());
    }
  }

  @Test
  void theExchangeArrowLimitIsAClearError() throws Exception {
    try (TestServer small = TestServer.start(c -> c.withExchangeMemoryLimit(1 << 20))) {
      small.register("add_one", Guests.rust("add_one"));
      try (VectorSchemaRoot in =
          VectorSchemaRoot.create(ExamplesExchangeTest.INT64, small.allocator)) {
        assertFlightError(
            FlightStatusCode.RESOURCE_EXHAUSTED,
            () ->
                Exchange.run(
                    small.client(),
                    FlightDescriptor.path("add_one", "add_one"),
                    in,
                    1,
                    b -> ExamplesExchangeTest.fillInts(in, b, 500_000),
                    out -> {}),
            "the exchange's Arrow memory limit of 1048576 bytes was reached");
        // Smaller batches fit.
        Exchange.Outcome o =
            Exchange.run(
                small.client(),
                FlightDescriptor.path("add_one", "add_one"),
                in,
                2,
                b -> ExamplesExchangeTest.fillInts(in, b, 10_000),
                out -> {});
        assertEquals(List.of(10_000, 10_000), o.batchRows());
      }
    }
  }
}
