package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each function of {@code hostile/misbehave.wat} breaks one rule; each must end its exchange with
 * the exact status and message, on both engines, and leave the server serving. The shared server
 * also proves nothing leaks across all of them (its allocator is closed at the end).
 */
class HostileGuestTest {
  static final Schema SCHEMA = new Schema(List.of(
      Field.nullable("text", ArrowType.Utf8.INSTANCE),
      Field.nullable("n", new ArrowType.Int(64, true))));
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(c -> c.withMaxMemoryPages(64));
    server.register("misbehave", Guests.wat("hostile/misbehave"));
    server.register("echo", Guests.wat("good/echo"));
    server.register("panicky", Guests.rustHostile("panicky"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static FlightDescriptor fn(String function, String engine) {
    return FlightDescriptor.command(("{\"module\":\"misbehave\",\"function\":\"" + function
        + "\",\"engine\":\"" + engine + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  static void exchange(FlightDescriptor d) throws Exception {
    exchange(server, d);
  }

  /** Two batches of 10 rows (text, n) through {@code d} on {@code server}. */
  static void exchange(TestServer server, FlightDescriptor d) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(SCHEMA, server.allocator)) {
      Exchange.run(server.client(), d, in, 2, i -> {
        VarCharVector t = (VarCharVector) in.getVector(0);
        BigIntVector n = (BigIntVector) in.getVector(1);
        t.allocateNew();
        n.allocateNew();
        for (int r = 0; r < 10; r++) {
          t.setSafe(r, ("value " + r).getBytes(StandardCharsets.UTF_8));
          n.setSafe(r, r);
        }
        in.setRowCount(10);
      }, out -> { });
    }
  }

  @ParameterizedTest(name = "{0} on {1}")
  @CsvSource(delimiter = '|', value = {
      "fail|aot|INTERNAL|guest error in misbehave/fail (aot) at batch 0: something went wrong in row 7||",
      "fail|interpreter|INTERNAL|guest error in misbehave/fail (interpreter) at batch 0: something||",
      "reject|aot|INVALID_ARGUMENT|input rejected by guest in misbehave/reject (aot) at batch 0: expected an int64 column||",
      "oom|aot|RESOURCE_EXHAUSTED|guest out of memory in misbehave/oom (aot) at batch 0: could not allocate the output||",
      "bad_status|aot|INTERNAL|ABI violation in misbehave/bad_status (aot) at batch 0: wf_fn_bad_status returned unknown status 42||",
      "unreachable|aot|INTERNAL|trap in misbehave/unreachable (aot) at batch 0: ||",
      "unreachable|interpreter|INTERNAL|trap in misbehave/unreachable (interpreter) at batch 0: ||",
      "div_zero|aot|INTERNAL|trap in misbehave/div_zero (aot) at batch 0: ||",
      "div_zero|interpreter|INTERNAL|trap in misbehave/div_zero (interpreter) at batch 0: ||",
      "oob_load|aot|INTERNAL|trap in misbehave/oob_load (aot) at batch 0: out of bounds memory access||",
      "oob_load|interpreter|INTERNAL|trap in misbehave/oob_load (interpreter) at batch 0: out of bounds memory access||",
      "stack_bomb|aot|INTERNAL|trap in misbehave/stack_bomb (aot) at batch 0: call stack exhausted||",
      "stack_bomb|interpreter|INTERNAL|trap in misbehave/stack_bomb (interpreter) at batch 0: call stack exhausted||",
      "memory_bomb|aot|RESOURCE_EXHAUSTED|limit exceeded in misbehave/memory_bomb (aot) at batch 0: guest memory limit of 64 pages (4 MiB) reached||",
      "memory_bomb|interpreter|RESOURCE_EXHAUSTED|guest memory limit of 64 pages (4 MiB) reached||",
      "no_output|aot|INTERNAL|ABI violation in misbehave/no_output (aot) at batch 0: the output ArrowArray was not filled||",
      "wrong_length|aot|INTERNAL|ABI violation in misbehave/wrong_length (aot) at batch 0: output has 11 rows for 10 input rows||",
      "oob_buffer|aot|INTERNAL|ABI violation|output column 0 ('text') offsets at 2147418112|outside guest memory",
      "oob_struct|aot|INTERNAL|ABI violation|output array children at 4294967280 (8 bytes) is null or outside guest memory|",
      "length_overflow|aot|INTERNAL|ABI violation|output column 0 ('text'): length 9223372036854775807 / offset 9223372036854775807 out of range|",
      "wrong_buffer_count|aot|INTERNAL|ABI violation|output column 0 ('text'): n_buffers is 5, format 'u' needs 3|",
      "children_cycle|aot|INTERNAL|ABI violation|output column 0 ('text'): n_children must be 0|",
      "absurd_children|aot|INTERNAL|ABI violation|output n_children is 1099511627776 in the schema|",
      "huge_offsets|aot|INTERNAL|ABI violation|output column 0 ('text') data at|(1073741824 bytes) is null or outside guest memory",
      "decreasing_offsets|aot|INTERNAL|ABI violation|output column 0 ('text'): offsets decrease at slot 2 (5 -> 1)|",
      "bad_format|aot|INTERNAL|ABI violation|output column 0 ('text') has format 'q', which ABI 1.0 does not carry|",
      "garbage|aot|INTERNAL|ABI violation in misbehave/garbage (aot) at batch 0||",
      "reserved_table|aot|UNIMPLEMENTED|function 'misbehave/reserved_table' is of kind 'table'||",
  })
  void endsWithTheExactError(String function, String engine, String code, String f1, String f2,
      String f3) {
    String[] fragments = java.util.stream.Stream.of(f1, f2, f3)
        .filter(java.util.Objects::nonNull).toArray(String[]::new);
    assertFlightError(FlightStatusCode.valueOf(code), () -> exchange(fn(function, engine)),
        fragments);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"aot", "interpreter"})
  void aRustPanicIsATrapWithTheGuestsMessage(String engine) {
    assertFlightError(FlightStatusCode.INTERNAL, () -> exchange(FlightDescriptor.command(
            ("{\"module\":\"panicky\",\"function\":\"panic\",\"engine\":\"" + engine + "\"}")
                .getBytes(StandardCharsets.UTF_8))),
        "trap in panicky/panic (" + engine + ") at batch 0: ",
        "(the guest said: panicked at ", "the guest panicked on purpose after 10 rows");
  }

  @Test
  void aRustAllocationBombHitsTheMemoryCap() {
    assertFlightError(FlightStatusCode.RESOURCE_EXHAUSTED,
        () -> exchange(FlightDescriptor.path("panicky", "alloc_bomb")),
        "limit exceeded in panicky/alloc_bomb (aot) at batch 0: guest memory limit of 64 pages");
  }

  @Test
  void serverKeepsServingAfterFailures() throws Exception {
    assertFlightError(FlightStatusCode.INTERNAL, () -> exchange(fn("unreachable", "aot")), "trap");
    try (VectorSchemaRoot in = VectorSchemaRoot.create(SCHEMA, server.allocator)) {
      Exchange.Outcome o = Exchange.run(server.client(), FlightDescriptor.path("echo", "echo"),
          in, 3, i -> {
            in.allocateNew();
            in.setRowCount(0);
          }, out -> { });
      assertEquals(List.of(0, 0, 0), o.batchRows());
    }
  }
}
