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

/**
 * Each function of {@code hostile/misbehave.wat} breaks one rule; each must end its exchange with
 * the exact status and message, on both engines, and leave the server serving. The shared server
 * also proves nothing leaks across all of them (its allocator is closed at the end).
 */
class HostileGuestTest {
  static final Schema SCHEMA =
      new Schema(
          List.of(
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
    return FlightDescriptor.command(
        ("{\"module\":\"misbehave\",\"function\":\""
                + function
                + "\",\"engine\":\""
                + engine
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  static void exchange(FlightDescriptor d) throws Exception {
    exchange(server, d);
  }

  /** Two batches of 10 rows (text, n) through {@code d} on {@code server}. */
  static void exchange(TestServer server, FlightDescriptor d) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(SCHEMA, server.allocator)) {
      Exchange.run(
          server.client(),
          d,
          in,
          2,
          i -> {
            VarCharVector t = (VarCharVector) in.getVector(0);
            BigIntVector n = (BigIntVector) in.getVector(1);
            t.allocateNew();
            n.allocateNew();
            for (int r = 0; r < 10; r++) {
              t.setSafe(r, ("value " + r).getBytes(StandardCharsets.UTF_8));
              n.setSafe(r, r);
            }
            in.setRowCount(10);
          },
          out -> {});
    }
  }

  /** A misbehaving function, the status it must end with, and message fragments. */
  record Case(String function, FlightStatusCode code, String... fragments) {}

  static final List<Case> CASES =
      List.of(
          new Case(
              "fail",
              FlightStatusCode.INTERNAL,
              "guest error in misbehave/fail ({engine}) at batch 0: something went wrong in row 7"),
          new Case(
              "reject",
              FlightStatusCode.INVALID_ARGUMENT,
              "input rejected by guest in misbehave/reject ({engine}) at batch 0: expected an int64 column"),
          new Case(
              "oom",
              FlightStatusCode.RESOURCE_EXHAUSTED,
              "guest out of memory in misbehave/oom ({engine}) at batch 0: could not allocate the output"),
          new Case(
              "bad_status",
              FlightStatusCode.INTERNAL,
              "ABI violation in misbehave/bad_status ({engine}) at batch 0: wf_fn_bad_status returned unknown status 42"),
          new Case(
              "unreachable",
              FlightStatusCode.INTERNAL,
              "trap in misbehave/unreachable ({engine}) at batch 0: "),
          new Case(
              "div_zero",
              FlightStatusCode.INTERNAL,
              "trap in misbehave/div_zero ({engine}) at batch 0: "),
          new Case(
              "oob_load",
              FlightStatusCode.INTERNAL,
              "trap in misbehave/oob_load ({engine}) at batch 0: out of bounds memory access"),
          new Case(
              "stack_bomb",
              FlightStatusCode.INTERNAL,
              "trap in misbehave/stack_bomb ({engine}) at batch 0: call stack exhausted"),
          new Case(
              "memory_bomb",
              FlightStatusCode.RESOURCE_EXHAUSTED,
              "limit exceeded in misbehave/memory_bomb ({engine}) at batch 0: guest memory limit of 64 pages (4 MiB) reached"),
          new Case(
              "no_output",
              FlightStatusCode.INTERNAL,
              "ABI violation in misbehave/no_output ({engine}) at batch 0: the output ArrowArray was not filled"),
          new Case(
              "wrong_length",
              FlightStatusCode.INTERNAL,
              "ABI violation in misbehave/wrong_length ({engine}) at batch 0: output has 11 rows for 10 input rows"),
          new Case(
              "oob_buffer",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text') offsets at 2147418112",
              "outside guest memory"),
          new Case(
              "oob_struct",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output array children at 4294967280 (8 bytes) is null or outside guest memory"),
          new Case(
              "length_overflow",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text'): length 9223372036854775807 / offset 9223372036854775807 out of range"),
          new Case(
              "wrong_buffer_count",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text'): n_buffers is 5, format 'u' needs 3"),
          new Case(
              "children_cycle",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text'): n_children must be 0"),
          new Case(
              "absurd_children",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output n_children is 1099511627776 in the schema"),
          new Case(
              "huge_offsets",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text') data at",
              "(1073741824 bytes) is null or outside guest memory"),
          new Case(
              "decreasing_offsets",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text'): offsets decrease at slot 2 (5 -> 1)"),
          new Case(
              "bad_format",
              FlightStatusCode.INTERNAL,
              "ABI violation",
              "output column 0 ('text') has format 'q', which ABI 1.2 does not carry: unknown format 'q'"),
          new Case(
              "garbage",
              FlightStatusCode.INTERNAL,
              "ABI violation in misbehave/garbage ({engine}) at batch 0"));

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
    return CASES.stream()
        .flatMap(
            c ->
                java.util.stream.Stream.of("aot", "interpreter")
                    .map(e -> org.junit.jupiter.params.provider.Arguments.of(c.function(), e, c)));
  }

  @ParameterizedTest(name = "{0} on {1}")
  @org.junit.jupiter.params.provider.MethodSource("cases")
  void endsWithTheExactError(String function, String engine, Case c) {
    String[] fragments =
        java.util.Arrays.stream(c.fragments())
            .map(f -> f.replace("{engine}", engine))
            .toArray(String[]::new);
    assertFlightError(c.code(), () -> exchange(fn(function, engine)), fragments);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"aot", "interpreter"})
  void aRustPanicIsATrapWithTheGuestsMessage(String engine) {
    assertFlightError(
        FlightStatusCode.INTERNAL,
        () ->
            exchange(
                FlightDescriptor.command(
                    ("{\"module\":\"panicky\",\"function\":\"panic\",\"engine\":\""
                            + engine
                            + "\"}")
                        .getBytes(StandardCharsets.UTF_8))),
        "trap in panicky/panic (" + engine + ") at batch 0: ",
        "(the guest said: panicked at ",
        "the guest panicked on purpose after 10 rows");
  }

  @Test
  void aRustAllocationBombHitsTheMemoryCap() {
    assertFlightError(
        FlightStatusCode.RESOURCE_EXHAUSTED,
        () -> exchange(FlightDescriptor.path("panicky", "alloc_bomb")),
        "limit exceeded in panicky/alloc_bomb (aot) at batch 0: guest memory limit of 64 pages");
  }

  @Test
  void serverKeepsServingAfterFailures() throws Exception {
    assertFlightError(FlightStatusCode.INTERNAL, () -> exchange(fn("unreachable", "aot")), "trap");
    try (VectorSchemaRoot in = VectorSchemaRoot.create(SCHEMA, server.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("echo", "echo"),
              in,
              3,
              i -> {
                in.allocateNew();
                in.setRowCount(0);
              },
              out -> {});
      assertEquals(List.of(0, 0, 0), o.batchRows());
    }
  }
}
