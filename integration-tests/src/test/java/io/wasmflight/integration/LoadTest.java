package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/**
 * 64 concurrent sessions on one server for a fixed time, 16 of them hostile (traps, bombs, infinite
 * loops, invalid output): every healthy exchange succeeds with correct values, every hostile one
 * gets its expected status, and the server's Arrow memory returns to zero. {@code
 * -Dwasmflight.load.seconds=N} runs longer (default 8).
 */
class LoadTest {
  static final int SESSIONS = 64;
  static final long SECONDS = Long.getLong("wasmflight.load.seconds", 8);

  /** A hostile function and the status it must end with. */
  record Hostile(String function, String limits, FlightStatusCode expected) {}

  /**
   * The 16 hostile workers (every 4th) split in halves, AOT then interpreter, each half covering
   * every hostile function from the first round; one healthy worker in eight interprets.
   */
  static String engine(int worker) {
    boolean interpreter = worker % 4 == 0 ? worker / 4 >= SESSIONS / 8 : worker % 8 == 7;
    return interpreter ? "interpreter" : "aot";
  }

  static final List<Hostile> HOSTILE =
      List.of(
          new Hostile("unreachable", "{}", FlightStatusCode.INTERNAL),
          new Hostile("memory_bomb", "{}", FlightStatusCode.RESOURCE_EXHAUSTED),
          new Hostile("loop", "{\"call_timeout_ms\":200}", FlightStatusCode.TIMED_OUT),
          new Hostile("loop_br_if", "{\"call_timeout_ms\":200}", FlightStatusCode.TIMED_OUT),
          new Hostile("stack_bomb", "{}", FlightStatusCode.INTERNAL),
          new Hostile("oob_buffer", "{}", FlightStatusCode.INTERNAL),
          new Hostile("garbage", "{}", FlightStatusCode.INTERNAL),
          new Hostile("fail", "{}", FlightStatusCode.INTERNAL));

  @Test
  void healthySessionsAreUnaffectedByHostileOnes() throws Exception {
    try (TestServer s =
        TestServer.start(c -> c.withMaxMemoryPages(128).withCallTimeout(Duration.ofSeconds(10)))) {
      s.register("add_one", Guests.rust("add_one"));
      s.register("misbehave", Guests.wat("hostile/misbehave"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
      AtomicLong healthyOk = new AtomicLong();
      Map<String, AtomicLong> hostileOk = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      ExecutorService pool = Executors.newFixedThreadPool(SESSIONS);
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        int worker = i;
        workers.add(
            pool.submit(
                () -> {
                  int round = 0;
                  while (System.nanoTime() < deadline && failures.size() < 20) {
                    if (worker % 4 == 0) {
                      Hostile h = HOSTILE.get((worker / 4 + round) % HOSTILE.size());
                      hostile(s, h, engine(worker), hostileOk, failures);
                    } else {
                      healthy(s, worker, engine(worker), round, healthyOk, failures);
                    }
                    round++;
                  }
                  return null;
                }));
      }
      for (Future<?> f : workers) {
        f.get(SECONDS + 120, TimeUnit.SECONDS);
      }
      pool.shutdown();
      System.out.println(
          "load: "
              + healthyOk
              + " healthy exchanges, hostile outcomes "
              + hostileOk
              + ", over "
              + SECONDS
              + " s with "
              + SESSIONS
              + " sessions");
      assertTrue(failures.isEmpty(), "failures: " + failures);
      assertTrue(healthyOk.get() >= 48, "healthy exchanges completed: " + healthyOk);
      for (Hostile h : HOSTILE) {
        for (String engine : List.of("aot", "interpreter")) {
          assertTrue(
              hostileOk.containsKey(h.function() + "/" + engine),
              "no " + h.function() + " session ran on " + engine + ": " + hostileOk);
        }
      }
      assertEquals(0, s.allocator.getAllocatedMemory(), "memory back to baseline");
    }
  }

  static void healthy(
      TestServer s,
      int worker,
      String engine,
      int round,
      AtomicLong ok,
      ConcurrentLinkedQueue<String> failures) {
    int rows = 2000;
    long[] mismatches = {0};
    int[] batch = {0};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(ExamplesExchangeTest.INT64, s.allocator)) {
      Exchange.Outcome o =
          Exchange.run(
              s.client(),
              FlightDescriptor.command(
                  ("{\"module\":\"add_one\",\"function\":\"add_one\",\"engine\":\""
                          + engine
                          + "\"}")
                      .getBytes(StandardCharsets.UTF_8)),
              in,
              5,
              b -> ExamplesExchangeTest.fillInts(in, worker * 1000 + round + b, rows),
              out -> {
                BigIntVector y = (BigIntVector) out.getVector(0);
                int b = batch[0]++;
                for (int r = 0; r < out.getRowCount(); r++) {
                  Long v = ExamplesExchangeTest.value(worker * 1000 + round + b, r);
                  if (v == null ? !y.isNull(r) : y.isNull(r) || y.get(r) != v + 1) {
                    mismatches[0]++;
                  }
                }
              });
      if (mismatches[0] > 0 || o.rows() != 5L * rows) {
        failures.add(
            "worker "
                + worker
                + " round "
                + round
                + ": "
                + mismatches[0]
                + " wrong values, "
                + o.rows()
                + " rows");
      } else {
        ok.incrementAndGet();
      }
    } catch (Exception e) {
      failures.add("worker " + worker + " round " + round + ": " + e);
    }
  }

  static void hostile(
      TestServer s,
      Hostile h,
      String engine,
      Map<String, AtomicLong> ok,
      ConcurrentLinkedQueue<String> failures) {
    FlightDescriptor d =
        FlightDescriptor.command(
            ("{\"module\":\"misbehave\",\"function\":\""
                    + h.function()
                    + "\",\"engine\":\""
                    + engine
                    + "\",\"limits\":"
                    + h.limits()
                    + "}")
                .getBytes(StandardCharsets.UTF_8));
    try {
      HostileGuestTest.exchange(s, d);
      failures.add(h.function() + " succeeded");
    } catch (FlightRuntimeException e) {
      if (e.status().code() == h.expected()) {
        ok.computeIfAbsent(h.function() + "/" + engine, k -> new AtomicLong()).incrementAndGet();
      } else {
        failures.add(
            h.function()
                + ": expected "
                + h.expected()
                + ", got "
                + e.status().code()
                + " "
                + e.getMessage());
      }
    } catch (Exception e) {
      failures.add(h.function() + ": " + e);
    }
  }
}
