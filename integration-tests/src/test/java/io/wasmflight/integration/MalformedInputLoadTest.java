package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * 1,000 malformed DoExchange calls of every kind MalformedInputTest covers, from 8 client threads,
 * with a valid exchange after every ninth: each malformed call is INVALID_ARGUMENT, each valid one
 * echoes its rows, and afterwards the server holds no Arrow memory and no more threads than the
 * same load left after a warm-up (a call that waits forever would keep one). Resident size is
 * logged, not asserted.
 */
class MalformedInputLoadTest {
  static final int CALLS = Integer.getInteger("wasmflight.malformed.calls", 1000);
  static final int CLIENTS = 8;
  static final Schema INT64 = MalformedInputTest.INT64;
  static final Schema UTF8 = MalformedInputTest.UTF8;
  static final Flight.FlightDescriptor ECHO = RawFlight.path("echo", "echo");

  record Kind(String name, List<byte[]> raw, List<Flight.FlightData> messages) {
    static Kind of(String name, Flight.FlightData... messages) {
      return new Kind(name, null, List.of(messages));
    }

    static Kind raw(String name, byte[]... messages) {
      return new Kind(name, List.of(messages), null);
    }
  }

  static Flight.FlightData batch(long length, long[][] nodes, long[][] buffers, byte[] body) {
    return RawFlight.data(RawFlight.batchHeader(length, nodes, buffers, body.length), body);
  }

  static List<Kind> kinds() {
    Flight.FlightData int64 = RawFlight.schema(ECHO, INT64);
    Flight.FlightData utf8 = RawFlight.schema(ECHO, UTF8);
    byte[] header =
        RawFlight.batchHeader(0, new long[][] {{0, 0}}, new long[][] {{0, 0}, {0, 0}}, 0);
    byte[] first = int64.toByteArray();
    byte[] utf8Body = new byte[16];
    System.arraycopy(RawFlight.ints(0, 1), 0, utf8Body, 0, 8);
    return List.of(
        Kind.of(
            "negative row count",
            int64,
            batch(
                -1_000_000,
                new long[][] {{-1_000_000, 0}},
                new long[][] {{0, 0}, {0, 0}},
                new byte[0])),
        Kind.of(
            "negative column length",
            int64,
            batch(3, new long[][] {{-8, 0}}, new long[][] {{0, 0}, {0, 24}}, new byte[24])),
        Kind.of(
            "body shorter than the header",
            int64,
            batch(3, new long[][] {{3, 0}}, new long[][] {{0, 0}, {0, 24}}, RawFlight.longs(1))),
        Kind.of(
            "int64 rows past the body",
            int64,
            batch(
                1000, new long[][] {{1000, 0}}, new long[][] {{0, 0}, {0, 8}}, RawFlight.longs(7))),
        Kind.of(
            "utf8 rows past the body",
            utf8,
            batch(1000, new long[][] {{1000, 0}}, new long[][] {{0, 0}, {0, 8}, {8, 8}}, utf8Body)),
        Kind.of(
            "not a flatbuffer",
            int64,
            RawFlight.data(
                "not a flatbuffer".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[8])),
        Kind.of("no descriptor", RawFlight.data(RawFlight.schemaHeader(INT64), null)),
        Kind.of(
            "batch before the schema",
            Flight.FlightData.newBuilder().setFlightDescriptor(ECHO).build(),
            batch(0, new long[][] {{0, 0}}, new long[][] {{0, 0}, {0, 0}}, new byte[0])),
        Kind.raw(
            "2 GiB body claim",
            first,
            RawFlight.concat(
                RawFlight.field(2, header),
                RawFlight.varint(8002),
                RawFlight.varint(Integer.MAX_VALUE),
                new byte[3])),
        Kind.raw(
            "app_metadata twice",
            first,
            RawFlight.concat(
                RawFlight.field(2, header),
                RawFlight.field(3, new byte[64]),
                RawFlight.field(3, new byte[64]))));
  }

  @Test
  void malformedCallsLeaveNothingBehind() throws Exception {
    List<Kind> kinds = kinds();
    try (TestServer s = TestServer.start();
        RawFlight raw = new RawFlight(s.port())) {
      s.register("echo", Guests.wat("good/echo"));
      Flight.FlightData valid;
      try (var root = org.apache.arrow.vector.VectorSchemaRoot.create(INT64, s.allocator)) {
        var x = (org.apache.arrow.vector.BigIntVector) root.getVector(0);
        x.allocateNew(3);
        for (int i = 0; i < 3; i++) {
          x.set(i, 7 + i);
        }
        root.setRowCount(3);
        valid = RawFlight.parts(root).message();
      }
      List<Flight.FlightData> good = List.of(RawFlight.schema(ECHO, INT64), valid);
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
      IntFunction<Void> call =
          i -> {
            try {
              if (i % 10 == 9) {
                RawFlight.Outcome o = raw.exchange(good);
                if (o.code() != Status.Code.OK || o.received().size() < 2) {
                  failures.add(
                      "valid call " + i + ": " + o + ", " + o.received().size() + " messages back");
                }
                return null;
              }
              Kind k = kinds.get((i / 10 * 9 + i % 10) % kinds.size());
              RawFlight.Outcome o =
                  k.raw() != null ? raw.exchangeRaw(k.raw()) : raw.exchange(k.messages());
              if (o.code() != Status.Code.INVALID_ARGUMENT) {
                failures.add(k.name() + ": " + o);
              }
              seen.computeIfAbsent(k.name(), n -> new AtomicInteger()).incrementAndGet();
            } catch (Exception e) {
              failures.add("call " + i + ": " + e);
            }
            return null;
          };

      int warmUp = Math.min(100, CALLS);
      run(call, warmUp, 0); // warm-up: the executors grow to what this load needs
      int threadsBefore = threads();
      long rssBefore = rssKiB();
      long t0 = System.nanoTime();
      run(call, CALLS, warmUp);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      MalformedInputTest.assertNoArrowMemory(s);
      int threadsAfter = settledThreads(threadsBefore + 16);
      long rssAfter = rssKiB();
      System.out.printf(
          "malformed load: %d calls in %d ms, threads %d -> %d, RSS %d -> %d MiB," + " kinds %s%n",
          CALLS, ms, threadsBefore, threadsAfter, rssBefore / 1024, rssAfter / 1024, seen);
      assertTrue(
          failures.isEmpty(),
          () -> failures.size() + " failures, first: " + failures.stream().limit(5).toList());
      assertEquals(kinds.size(), seen.size(), seen::toString);
      assertTrue(
          threadsAfter <= threadsBefore + 16,
          "threads grew from " + threadsBefore + " to " + threadsAfter);
      assertEquals(0, s.allocator.getAllocatedMemory());
    }
  }

  private static void run(IntFunction<Void> call, int calls, int first) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      AtomicInteger next = new AtomicInteger(first);
      List<Future<?>> workers = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        workers.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement();
                      i < first + calls;
                      i = next.getAndIncrement()) {
                    call.apply(i);
                  }
                  return null;
                }));
      }
      for (Future<?> f : workers) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
  }

  private static int threads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /** The thread count once it is at most {@code band}, or after 10 s. */
  private static int settledThreads(int band) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    int n = threads();
    while (n > band && System.nanoTime() < deadline) {
      Thread.sleep(100);
      n = threads();
    }
    return n;
  }

  /** This JVM's resident set (server and client), from /proc; 0 where there is none. */
  private static long rssKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
    return 0;
  }
}
