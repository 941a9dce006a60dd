package io.wasmflight.server.internal.ops;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's Prometheus metrics (README "Operations" lists them), in a registry of its own so
 * that two servers in one JVM count apart, and the operator HTTP endpoint that serves them ({@code
 * /metrics}) and readiness ({@code /ready}). Exchanges record into an {@link ExchangeStats} each.
 */
public final class ServerMetrics implements AutoCloseable {
  /** The logger of the one line per finished exchange. */
  static final Logger EXCHANGE_LOG = LoggerFactory.getLogger("io.wasmflight.server.exchange");

  private static final double[] DURATION_BUCKETS = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300
  };

  private record Series(String function, String engine) {}

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Set<ExchangeStats> live = ConcurrentHashMap.newKeySet();
  private final Set<Series> series = ConcurrentHashMap.newKeySet();
  private final Counter sessions;
  private final Counter batchesIn;
  private final Counter batchesOut;
  private final Counter rowsIn;
  private final Counter rowsOut;
  private final Counter bytesIn;
  private final Counter bytesOut;
  private final Counter errors;
  private final Histogram duration;
  private HTTPServer http;

  /**
   * @param modules how many modules are registered now
   */
  public ServerMetrics(IntSupplier modules) {
    sessions =
        Counter.builder()
            .name("wasmflight_sessions")
            .help("Exchanges finished, by outcome (ok, error, cancelled)")
            .labelNames("outcome")
            .withoutExemplars()
            .register(registry);
    GaugeWithCallback.builder()
        .name("wasmflight_sessions_active")
        .help("Exchanges running now")
        .callback(cb -> cb.call(live.size()))
        .register(registry);
    batchesIn = counter("wasmflight_batches_in", "Input record batches read by exchanges");
    batchesOut = counter("wasmflight_batches_out", "Output record batches sent by exchanges");
    rowsIn = counter("wasmflight_rows_in", "Input rows read by exchanges");
    rowsOut = counter("wasmflight_rows_out", "Output rows sent by exchanges");
    bytesIn = counter("wasmflight_bytes_in", "Arrow buffer bytes of the input record batches read");
    bytesOut =
        counter("wasmflight_bytes_out", "Arrow buffer bytes of the output record batches sent");
    errors =
        Counter.builder()
            .name("wasmflight_errors")
            .help(
                "Failed calls (exchanges and actions) by error kind of proto-docs/errors.md;"
                    + " guest traps are kind=\"trap\"")
            .labelNames("kind")
            .withoutExemplars()
            .register(registry);
    duration =
        Histogram.builder()
            .name("wasmflight_exchange_duration_seconds")
            .help("Exchange duration by registered function (module/function) and engine")
            .labelNames("function", "engine")
            .classicOnly()
            .classicUpperBounds(DURATION_BUCKETS)
            .withoutExemplars()
            .register(registry);
    GaugeWithCallback.builder()
        .name("wasmflight_modules_registered")
        .help("Modules registered now")
        .callback(cb -> cb.call(modules.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("wasmflight_guest_memory_bytes")
        .help("Linear memory of the guest instances of the running exchanges")
        .callback(cb -> cb.call((double) live.stream().mapToLong(ExchangeStats::memoryBytes).sum()))
        .register(registry);
  }

  private Counter counter(String name, String help) {
    // No exemplars: there is no tracer to take them from, and a counter moved per batch should
    // not look for one.
    return Counter.builder().name(name).help(help).withoutExemplars().register(registry);
  }

  /** The label of an error kind: its errors.md prefix with underscores ("bad_request"). */
  public static String kindLabel(String kind) {
    return kind.replace(' ', '_');
  }

  /** A new exchange, counted as active until its {@link ExchangeStats#finish}. */
  public ExchangeStats session() {
    ExchangeStats s = new ExchangeStats(this);
    live.add(s);
    return s;
  }

  /** A failed call outside an exchange (an action). */
  public void error(String kind) {
    errors.labelValues(kind).inc();
  }

  /** Drops the duration series of a module's functions (it was unregistered). */
  public void forgetModule(String module) {
    series.removeIf(
        s -> {
          if (s.function().startsWith(module + "/")) {
            duration.remove(s.function(), s.engine());
            return true;
          }
          return false;
        });
  }

  void input(long rows, long bytes) {
    batchesIn.inc();
    rowsIn.inc(rows);
    bytesIn.inc(bytes);
  }

  void output(long rows, long bytes) {
    batchesOut.inc();
    rowsOut.inc(rows);
    bytesOut.inc(bytes);
  }

  void finished(ExchangeStats s, ExchangeStats.Outcome outcome, String kind, long nanos) {
    live.remove(s);
    sessions.labelValues(outcome.label()).inc();
    if (outcome == ExchangeStats.Outcome.ERROR && kind != null) {
      errors.labelValues(kind).inc();
    }
    // Only exchanges that reached a registered function have one: the label set stays bounded by
    // the functions registered (and forgetModule drops a module's series).
    if (s.function() != null) {
      series.add(new Series(s.function(), s.engine()));
      duration.labelValues(s.function(), s.engine()).observe(nanos / 1e9);
    }
  }

  /**
   * Serves {@code /metrics} (Prometheus text format) and {@code /ready} (200 "SERVING" or 503
   * "NOT_SERVING") on {@code host:port}; returns the port bound (useful with 0).
   */
  public int serve(String host, int port, BooleanSupplier ready) {
    try {
      http =
          HTTPServer.builder()
              .hostname(host)
              .port(port)
              .registry(registry)
              .defaultHandler(
                  ex -> {
                    if (ex.getRequestURI().getPath().equals("/ready")) {
                      boolean ok = ready.getAsBoolean();
                      reply(ex, ok ? 200 : 503, ok ? "SERVING\n" : "NOT_SERVING\n");
                    } else {
                      reply(ex, 404, "not found: try /metrics or /ready\n");
                    }
                  })
              .buildAndStart();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    return http.getPort();
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops the HTTP endpoint, if it was started. */
  @Override
  public void close() {
    if (http != null) {
      http.close();
    }
  }
}
