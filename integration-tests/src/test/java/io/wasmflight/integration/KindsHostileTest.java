package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each function of {@code hostile/kinds.wat} breaks one rule of the ABI 1.2 kinds (abi-v1.md
 * section 6); each must end its exchange with the documented error on both engines, and the server
 * must keep serving (the shared server's allocator is the leak check at the end).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KindsHostileTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    server.register("kinds", Guests.wat("hostile/kinds"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor command(String function, String engine, String limits) {
    return FlightDescriptor.command(
        ("{\"module\":\"kinds\",\"function\":\""
                + function
                + "\",\"engine\":\""
                + engine
                + "\",\"limits\":"
                + limits
                + "}")
            .getBytes(StandardCharsets.UTF_8));
  }

  static void run(String function, String engine, String limits, int batches) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(StreamingExchangeTest.X, server.allocator)) {
      Exchange.run(
          server.client(),
          command(function, engine, limits),
          in,
          batches,
          b -> StreamingExchangeTest.fill(in, 0, 10),
          out -> {});
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aTableFunctionThatEmitsForeverHitsTheCallLimit(String engine) {
    assertFlightError(
        FlightStatusCode.TIMED_OUT,
        () -> run("forever", engine, "{\"call_timeout_ms\": 500}", 1),
        "time limit exceeded in kinds/forever (" + engine + ") at batch 0",
        "continuations after WF_MORE included",
        "call time limit of 500 ms");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aFinishThatEmitsForeverHitsTheCallLimit(String engine) {
    assertFlightError(
        FlightStatusCode.TIMED_OUT,
        () -> run("finish_forever", engine, "{\"call_timeout_ms\": 500}", 2),
        "time limit exceeded in kinds/finish_forever ("
            + engine
            + ") at the end of the input "
            + "(finish, after 2 batches)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void wfMoreFromAMapIsAnAbiViolation(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("more_from_map", engine, "{}", 1),
        "ABI violation in kinds/more_from_map (" + engine + ") at batch 0",
        "wf_fn_forever returned WF_MORE (256), which only a table function and finish may "
            + "return");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aFinishThatTrapsIsATrap(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("finish_traps", engine, "{}", 3),
        "trap in kinds/finish_traps ("
            + engine
            + ") at the end of the input (finish, after 3 "
            + "batches)");
    // Empty input still gets a finish.
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("finish_traps", engine, "{}", 0),
        "trap in kinds/finish_traps ("
            + engine
            + ") at the end of the input (finish, after 0 "
            + "batches)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void anUpdateThatTrapsIsATrapAtItsBatch(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("update_traps", engine, "{}", 2),
        "trap in kinds/update_traps (" + engine + ") at batch 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aFilterSelectingOutOfRangeRowsIsAnAbiViolation(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("out_of_range", engine, "{}", 1),
        "ABI violation in kinds/out_of_range (" + engine + ") at batch 0",
        "filter selected row 99 of a 10-row batch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aFilterSelectionOutOfOrderIsAnAbiViolation(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("not_increasing", engine, "{}", 1),
        "the filter's index selection is not strictly increasing: row 0 after row 1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aFilterSelectionOfTwoColumnsIsAnAbiViolation(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("two_columns", engine, "{}", 1),
        "ABI violation in kinds/two_columns (" + engine + ") at batch 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void aRowIndexOutOfRangeIsAnAbiViolation(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () -> run("bad_row_index", engine, "{}", 1),
        "the row_index column 'row' has 99 at output row 1 for a 10-row input batch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void theServerStillServesAfterEveryHostileKind(String engine) throws Exception {
    server.register("add_one", Guests.rust("add_one"));
    try (VectorSchemaRoot in = VectorSchemaRoot.create(StreamingExchangeTest.X, server.allocator)) {
      List<Long> got = new java.util.ArrayList<>();
      Exchange.run(
          server.client(),
          FlightDescriptor.command(
              ("{\"module\":\"add_one\","
                      + "\"function\":\"add_one\",\"engine\":\""
                      + engine
                      + "\"}")
                  .getBytes(StandardCharsets.UTF_8)),
          in,
          1,
          b -> StreamingExchangeTest.fill(in, 5, 2),
          out -> {
            BigIntVector x = (BigIntVector) out.getVector(0);
            got.add(x.get(0));
            got.add(x.get(1));
          });
      org.junit.jupiter.api.Assertions.assertEquals(List.of(6L, 7L), got);
    }
  }
}
