package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus endpoint of a real server (Flight on port 0, metrics on port 0), scraped over HTTP
 * before and after exchanges: every counter moves by exactly what the exchanges did.
 */
class OpsMetricsTest {
  private static final Schema X =
      new Schema(List.of(Field.nullable("x", new ArrowType.Int(64, true))));
  private static final String OK = "wasmflight_sessions_total{outcome=\"ok\"}";
  private static final String ERROR = "wasmflight_sessions_total{outcome=\"error\"}";

  private static double delta(Map<String, Double> before, Map<String, Double> after, String s) {
    return after.getOrDefault(s, 0.0) - before.getOrDefault(s, 0.0);
  }

  private static long bufferBytes(VectorSchemaRoot root) {
    return root.getFieldVectors().stream().mapToLong(FieldVector::getBufferSize).sum();
  }

  /** Sends {@code batches} batches of {@code rows} int64 rows; returns the input's buffer bytes. */
  private static long exchange(
      TestServer s, String module, String function, int batches, int rows, AtomicLong outBytes)
      throws Exception {
    long[] inBytes = {0};
    try (VectorSchemaRoot in = VectorSchemaRoot.create(X, s.allocator)) {
      BigIntVector x = (BigIntVector) in.getVector(0);
      Exchange.run(
          s.client(),
          FlightDescriptor.path(module, function),
          in,
          batches,
          i -> {
            x.allocateNew(rows);
            for (int r = 0; r < rows; r++) {
              x.set(r, (long) i * rows + r);
            }
            in.setRowCount(rows);
            inBytes[0] += bufferBytes(in);
          },
          out -> outBytes.addAndGet(bufferBytes(out)));
    }
    return inBytes[0];
  }

  @Test
  void countersMoveByExactlyWhatTheExchangesDid() throws Exception {
    try (TestServer s = TestServer.start(c -> c.withMetricsPort(0))) {
      assertTrue(s.metricsPort() > 0);
      Map<String, Double> start = Scrape.metrics(s.metricsPort());
      assertEquals(0.0, start.get("wasmflight_modules_registered"));
      assertEquals(0.0, start.get("wasmflight_sessions_active"));
      s.register("m", Guests.rust("add_one"));
      Map<String, Double> before = Scrape.metrics(s.metricsPort());
      assertEquals(1.0, before.get("wasmflight_modules_registered"));

      AtomicLong outBytes = new AtomicLong();
      long inBytes = exchange(s, "m", "add_one", 3, 1000, outBytes);
      inBytes += exchange(s, "m", "add_one", 2, 500, outBytes);
      Map<String, Double> after = Scrape.metrics(s.metricsPort());

      assertEquals(2.0, delta(before, after, OK));
      assertEquals(0.0, delta(before, after, ERROR));
      assertEquals(5.0, delta(before, after, "wasmflight_batches_in_total"));
      assertEquals(5.0, delta(before, after, "wasmflight_batches_out_total"));
      assertEquals(4000.0, delta(before, after, "wasmflight_rows_in_total"));
      assertEquals(4000.0, delta(before, after, "wasmflight_rows_out_total"));
      assertEquals((double) inBytes, delta(before, after, "wasmflight_bytes_in_total"));
      assertEquals((double) outBytes.get(), delta(before, after, "wasmflight_bytes_out_total"));
      String series = "{engine=\"aot\",function=\"m/add_one\"}";
      assertEquals(2.0, after.get("wasmflight_exchange_duration_seconds_count" + series));
      assertEquals(
          2.0,
          after.get(
              "wasmflight_exchange_duration_seconds_bucket{engine=\"aot\",function=\"m/add_one\",le=\"+Inf\"}"));
      assertTrue(after.get("wasmflight_exchange_duration_seconds_sum" + series) > 0);
      assertEquals(0.0, after.get("wasmflight_sessions_active"));
      assertEquals(0.0, after.get("wasmflight_guest_memory_bytes"));
    }
  }

  @Test
  void errorsAreCountedByKindAndUnknownFunctionsGetNoSeries() throws Exception {
    try (TestServer s = TestServer.start(c -> c.withMetricsPort(0))) {
      s.register("misbehave", Guests.wat("hostile/misbehave"));
      Map<String, Double> before = Scrape.metrics(s.metricsPort());
      AtomicLong out = new AtomicLong();
      assertThrows(
          FlightRuntimeException.class, () -> exchange(s, "misbehave", "unreachable", 1, 10, out));
      assertThrows(
          FlightRuntimeException.class, () -> exchange(s, "misbehave", "oob_load", 1, 10, out));
      assertThrows(FlightRuntimeException.class, () -> exchange(s, "nope", "add_one", 1, 10, out));
      assertThrows(
          FlightRuntimeException.class, () -> s.action("describe", "{\"name\": \"nope\"}"));
      Map<String, Double> after = Scrape.metrics(s.metricsPort());

      assertEquals(2.0, delta(before, after, "wasmflight_errors_total{kind=\"trap\"}"));
      // one failed exchange and one failed action
      assertEquals(2.0, delta(before, after, "wasmflight_errors_total{kind=\"not_found\"}"));
      assertEquals(3.0, delta(before, after, ERROR));
      assertEquals(0.0, delta(before, after, OK));
      assertEquals(
          1.0,
          after.get(
              "wasmflight_exchange_duration_seconds_count{engine=\"aot\",function=\"misbehave/unreachable\"}"));
      assertFalse(
          after.keySet().stream().anyMatch(k -> k.contains("nope")),
          "an unknown function must not become a label: " + after.keySet());
      assertEquals(0.0, after.get("wasmflight_sessions_active"));

      // Unregistering drops the module's duration series and the module count.
      s.action("unregister", "{\"name\": \"misbehave\"}");
      Map<String, Double> gone = Scrape.metrics(s.metricsPort());
      assertEquals(0.0, gone.get("wasmflight_modules_registered"));
      assertFalse(
          gone.keySet().stream().anyMatch(k -> k.contains("misbehave/")), gone.keySet()::toString);
    }
  }

  @Test
  void aRunningExchangeIsActiveAndItsGuestMemoryCounted() throws Exception {
    try (TestServer s = TestServer.start(c -> c.withMetricsPort(0))) {
      s.register("m", Guests.rust("add_one"));
      try (VectorSchemaRoot in = VectorSchemaRoot.create(X, s.allocator);
          FlightClient.ExchangeReaderWriter rw =
              s.client().doExchange(FlightDescriptor.path("m", "add_one"))) {
        BigIntVector x = (BigIntVector) in.getVector(0);
        x.allocateNew(100);
        for (int r = 0; r < 100; r++) {
          x.set(r, r);
        }
        in.setRowCount(100);
        rw.getWriter().start(in);
        rw.getWriter().putNext();
        FlightStream reader = rw.getReader();
        assertTrue(reader.next()); // the session is running, its instance alive
        Map<String, Double> during = Scrape.metrics(s.metricsPort());
        assertEquals(1.0, during.get("wasmflight_sessions_active"));
        assertTrue(
            during.get("wasmflight_guest_memory_bytes") >= 65536,
            "guest memory of the live instance: " + during.get("wasmflight_guest_memory_bytes"));
        assertEquals(100.0, during.get("wasmflight_rows_in_total"));
        rw.getWriter().completed();
        assertFalse(reader.next());
      }
      Map<String, Double> after = Scrape.metrics(s.metricsPort());
      assertEquals(0.0, after.get("wasmflight_sessions_active"));
      assertEquals(0.0, after.get("wasmflight_guest_memory_bytes"));
      assertEquals(1.0, after.get(OK));
    }
  }

  @Test
  void theEndpointIsOffByDefaultAndAnswers404ElsewhereAndReadyWhenReady() throws Exception {
    try (TestServer s = TestServer.start()) {
      assertEquals(-1, s.metricsPort());
    }
    try (TestServer s = TestServer.start(c -> c.withMetricsPort(0))) {
      assertEquals(404, Scrape.get(s.metricsPort(), "/nothing").status());
      Scrape.Response ready = Scrape.get(s.metricsPort(), "/ready");
      assertEquals(200, ready.status());
      assertEquals("SERVING\n", ready.body());
      String text = Scrape.get(s.metricsPort(), "/metrics").body();
      assertTrue(text.contains("# HELP wasmflight_rows_in_total"), text);
      assertTrue(text.contains("# TYPE wasmflight_sessions_active gauge"), text);
    }
  }
}
