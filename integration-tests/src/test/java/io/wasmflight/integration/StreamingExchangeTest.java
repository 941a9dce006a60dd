package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exchange as a pipeline (flight-protocol.md, "DoExchange"): reading and writing do not wait
 * for each other, output is buffered up to the session's budget, and a client that stops reading,
 * stops writing or cancels ends its session with a clear error — never a hang — while the server
 * keeps serving. Every test ends with the allocator leak check of {@link TestServer}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamingExchangeTest {
  static final Schema X = new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));

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

  static void fill(VectorSchemaRoot root, long first, int rows) {
    BigIntVector x = (BigIntVector) root.getVector(0);
    x.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      x.set(r, first + r);
    }
    root.setRowCount(rows);
  }

  /**
   * Writes the whole input, half-closes, and only then reads: the pattern that deadlocked a
   * lock-step server once output and input passed the gRPC windows (a few MB).
   */
  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void writeEverythingThenRead(String engine) throws Exception {
    int batches = engine.equals("aot") ? 48 : 12;
    int rows = 131_072;
    try (TestServer server = TestServer.start()) {
      server.register("add_one", Guests.rust("add_one"));
      FlightClient client = server.client();
      try (VectorSchemaRoot in = VectorSchemaRoot.create(X, server.allocator)) {
        FlightClient.ExchangeReaderWriter ex =
            client.doExchange(command("add_one", "add_one", engine, "{}"));
        ex.getWriter().start(in);
        for (int b = 0; b < batches; b++) {
          fill(in, (long) b * rows, rows);
          ex.getWriter().putNext();
        }
        ex.getWriter().completed();
        long seen = 0;
        FlightStream results = ex.getReader();
        while (results.next()) {
          BigIntVector x = (BigIntVector) results.getRoot().getVector(0);
          for (int r = 0; r < x.getValueCount(); r++) {
            assertEquals(seen + r + 1, x.get(r), "row " + (seen + r));
          }
          seen += x.getValueCount();
        }
        assertEquals((long) batches * rows, seen);
        ex.close();
      }
    }
  }

  // A client that never reads is tested from pyarrow (python/test_streaming.py): Arrow Java's
  // FlightClient reads every response message as it arrives, so it cannot be that client.

  /** An open exchange whose client sends nothing ends after the stall time. */
  @Test
  void idleClientGetsTheStallError() throws Exception {
    try (TestServer server = TestServer.start(c -> c.withStallTimeout(Duration.ofMillis(800)))) {
      server.register("add_one", Guests.rust("add_one"));
      assertFlightError(
          FlightStatusCode.TIMED_OUT,
          () -> {
            try (VectorSchemaRoot in = VectorSchemaRoot.create(X, server.allocator)) {
              FlightClient.ExchangeReaderWriter ex =
                  server.client().doExchange(FlightDescriptor.path("add_one", "add_one"));
              ex.getWriter().start(in);
              FlightStream results = ex.getReader();
              while (results.next()) {
                // nothing is sent: the server ends the call
              }
              ex.close();
            }
          },
          "client stalled in add_one/add_one (aot) at batch 0",
          "the client sent no input for 800 ms");
      assertServes(server);
    }
  }

  /** The descriptor may lower the stall time, like every limit, and never raise it. */
  @Test
  void stallTimeIsAPerExchangeLimit() throws Exception {
    try (TestServer server = TestServer.start()) {
      server.register("add_one", Guests.rust("add_one"));
      assertFlightError(
          FlightStatusCode.TIMED_OUT,
          () -> idle(server, command("add_one", "add_one", "aot", "{\"stall_timeout_ms\": 300}")),
          "the client sent no input for 300 ms");
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () -> idle(server, command("add_one", "add_one", "aot", "{\"stall_timeout_ms\": 60001}")),
          "'limits.stall_timeout_ms' asks for 60001, more than the server allows (60000)");
      assertServes(server);
    }
  }

  /** The session time limit covers waiting for the client, not only guest calls. */
  @Test
  void sessionTimeLimitCoversWaiting() throws Exception {
    try (TestServer server = TestServer.start(c -> c.withSessionTimeout(Duration.ofSeconds(30)))) {
      server.register("add_one", Guests.rust("add_one"));
      long start = System.nanoTime();
      assertFlightError(
          FlightStatusCode.TIMED_OUT,
          () -> idle(server, command("add_one", "add_one", "aot", "{\"session_timeout_ms\": 500}")),
          "time limit exceeded in add_one/add_one (aot)",
          "the session ran past its time limit of 500 ms");
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis < 10_000, "the session limit fired after " + millis + " ms");
      assertServes(server);
    }
  }

  /** Limit values that do not fit the clock are refused, not an internal error. */
  @Test
  void absurdLimitValuesAreBadRequests() throws Exception {
    try (TestServer server = TestServer.start()) {
      server.register("add_one", Guests.rust("add_one"));
      assertFlightError(
          FlightStatusCode.INVALID_ARGUMENT,
          () ->
              idle(
                  server,
                  command(
                      "add_one",
                      "add_one",
                      "aot",
                      "{\"session_timeout_ms\": 9223372036854775807}")),
          "'limits.session_timeout_ms' asks for 9223372036854775807 ms; the largest accepted "
              + "value is 31536000000 (a year)");
      assertServes(server);
    }
  }

  /**
   * Cancelling stops a guest stuck in a loop at once — not when the 30 s call limit passes — on
   * both engines: the exchange's allocator is released within a few seconds.
   */
  @ParameterizedTest
  @ValueSource(strings = {"aot", "interpreter"})
  void cancelStopsARunningGuest(String engine) throws Exception {
    try (TestServer server = TestServer.start()) {
      server.register("misbehave", Guests.wat("hostile/misbehave"));
      server.register("add_one", Guests.rust("add_one"));
      try (VectorSchemaRoot in =
          VectorSchemaRoot.create(HostileGuestTest.SCHEMA, server.allocator)) {
        FlightClient.ExchangeReaderWriter ex =
            server.client().doExchange(command("misbehave", "loop", engine, "{}"));
        in.allocateNew();
        in.setRowCount(1);
        ex.getWriter().start(in);
        ex.getWriter().putNext();
        Thread.sleep(500); // the guest is spinning now
        long start = System.nanoTime();
        ex.getReader().cancel("test cancels", null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (exchangeAllocators(server) > 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(
            0,
            exchangeAllocators(server),
            "the session still holds its allocator " + millis + " ms after the cancel");
        System.out.println(
            "cancel ("
                + engine
                + "): session released "
                + millis
                + " ms after the client cancelled");
        try {
          ex.close();
        } catch (Exception expected) {
          // the call was cancelled
        }
      }
      assertServes(server);
    }
  }

  private static long exchangeAllocators(TestServer server) {
    return server.allocator.getChildAllocators().stream()
            .flatMap(a -> a.getChildAllocators().stream())
            .filter(a -> a.getName().startsWith("exchange-"))
            .count()
        + server.allocator.getChildAllocators().stream()
            .filter(a -> a.getName().startsWith("exchange-"))
            .count();
  }

  /** Opens an exchange, sends the schema only, and waits for the server's answer. */
  private static void idle(TestServer server, FlightDescriptor d) throws Exception {
    try (VectorSchemaRoot in = VectorSchemaRoot.create(X, server.allocator)) {
      FlightClient.ExchangeReaderWriter ex = server.client().doExchange(d);
      ex.getWriter().start(in);
      FlightStream results = ex.getReader();
      while (results.next()) {
        // nothing
      }
      ex.close();
    }
  }

  /** The server still answers a normal exchange. */
  private static void assertServes(TestServer server) throws Exception {
    List<Long> got = new java.util.ArrayList<>();
    try (VectorSchemaRoot in = VectorSchemaRoot.create(X, server.allocator)) {
      Exchange.Outcome out =
          Exchange.run(
              server.client(),
              FlightDescriptor.path("add_one", "add_one"),
              in,
              2,
              b -> fill(in, 10L * b, 3),
              root -> {
                BigIntVector x = (BigIntVector) root.getVector(0);
                for (int r = 0; r < x.getValueCount(); r++) {
                  got.add(x.get(r));
                }
              });
      assertEquals(List.of(3, 3), out.batchRows());
    }
    assertEquals(List.of(1L, 2L, 3L, 11L, 12L, 13L), got);
  }
}
