package io.wasmflight.integration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** Scrapes a server's operator endpoint over HTTP, as Prometheus would. */
final class Scrape {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Scrape() {}

  /** A GET: the status and the body. */
  record Response(int status, String body) {}

  static Response get(int port, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code /metrics} in the Prometheus text format, as {series: value} where a series is the name
   * with its labels as written ({@code wasmflight_errors_total{kind="trap"}}).
   */
  static Map<String, Double> metrics(int port) {
    Response r = get(port, "/metrics");
    if (r.status() != 200) {
      throw new IllegalStateException("/metrics answered " + r.status() + ": " + r.body());
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }
}
