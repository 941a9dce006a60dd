package io.wasmflight.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client's concurrency measurement against a real server on port 0 (native and echo
 * configurations: no Wasm guests needed): one and two clients on their own connections, every
 * round's rows counted, the two-client scaling against the one-client median, and a wrong result
 * caught by the verifying round.
 */
class ConcurrencyTest {
  private BufferAllocator allocator;
  private WasmFlightServer server;
  private FlightClient client;
  private BenchClient bench;

  @BeforeEach
  void start(@TempDir Path dir) {
    allocator = new RootAllocator();
    server =
        WasmFlightServer.start(ServerConfig.defaults().withPort(0).withDataDir(dir), allocator);
    server.registerNative("bench", "echo", NativeFunction.ECHO);
    client = FlightClient.builder(allocator, location()).build();
    bench = new BenchClient(client, allocator, "");
    bench.reps = 3;
    bench.targetSeconds = 0;
    bench.minBatches = 4;
    bench.maxRows = 1 << 20;
    bench.warmupSeconds = 0;
    bench.poolRows = 3000;
    bench.concurrencyClients = 2;
  }

  private Location location() {
    return Location.forGrpcInsecure("127.0.0.1", server.port());
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    allocator.close(); // the leak check, both sides
  }

  @Test
  void oneAndTwoClientsAreMeasuredAndCounted() throws Exception {
    Workload.byName("add_one").registerNative(server, "bench_native");
    ArrayNode cells =
        bench.concurrency(location(), List.of("add_one"), List.of("native", "echo"), List.of(1000));
    assertEquals(4, cells.size());
    int i = 0;
    for (String config : List.of("native", "echo")) {
      JsonNode one = cells.get(i++);
      JsonNode two = cells.get(i++);
      for (JsonNode c : List.of(one, two)) {
        assertTrue(c.path("verified").asBoolean(), c.toString());
        assertEquals(config, c.path("config").asText());
        assertEquals(1000, c.path("batch_rows").asInt());
        int k = c.path("clients").asInt();
        // The verifying round covers the pool (3 batches) on every client.
        assertEquals(k * 3000L, c.path("verified_rows").asLong(), c.toString());
        assertEquals(4, c.path("batches_per_client").asLong());
        assertEquals(3, c.path("runs").size());
        double[] rates = new double[3];
        for (int r = 0; r < 3; r++) {
          JsonNode run = c.path("runs").get(r);
          assertEquals(k * 4 * 1000L, run.path("rows").asLong(), run.toString());
          assertEquals(k, run.path("client_seconds").size());
          double wall = run.path("seconds").asDouble();
          for (JsonNode s : run.path("client_seconds")) {
            // The round's wall time runs from the common start to the last client's end.
            assertTrue(s.asDouble() > 0 && s.asDouble() <= wall * 1.0001, run.toString());
          }
          assertEquals(run.path("rows").asDouble() / wall, run.path("rows_per_s").asDouble(), 1e-6);
          assertTrue(run.path("client_cpu_s").asDouble() >= 0, run.toString());
          rates[r] = run.path("rows_per_s").asDouble();
        }
        assertEquals(Stats.median(rates), c.path("rows_per_s_median").asDouble(), 1e-6);
        assertEquals(Stats.min(rates), c.path("rows_per_s_min").asDouble(), 1e-6);
        assertEquals(Stats.max(rates), c.path("rows_per_s_max").asDouble(), 1e-6);
      }
      assertEquals(1, one.path("clients").asInt());
      assertEquals(2, two.path("clients").asInt());
      assertFalse(one.has("scaling"));
      assertEquals(
          two.path("rows_per_s_median").asDouble() / one.path("rows_per_s_median").asDouble(),
          two.path("scaling").asDouble(),
          1e-9);
      assertTrue(BenchClient.concurrencyLine(two).contains("2 clients"));
    }
  }

  @Test
  void aWrongResultFailsTheCellAndStopsItsRuns() throws Exception {
    // add_one's native twin replaced by echo: every output row is the input, not input + 1.
    server.registerNative("bench_native", "add_one", NativeFunction.ECHO);
    ArrayNode cells =
        bench.concurrency(location(), List.of("add_one"), List.of("native", "echo"), List.of(500));
    assertEquals(4, cells.size());
    for (JsonNode c : List.of(cells.get(0), cells.get(1))) {
      assertEquals("native", c.path("config").asText());
      assertFalse(c.path("verified").asBoolean(), c.toString());
      assertTrue(c.path("error").asText().startsWith("wrong result: "), c.toString());
      assertFalse(c.has("rows_per_s_median"));
      assertTrue(BenchClient.concurrencyLine(c).contains("FAILED: wrong result"));
    }
    // The echo configuration is unaffected.
    assertTrue(cells.get(2).path("verified").asBoolean());
    assertTrue(cells.get(3).path("verified").asBoolean());
    assertTrue(cells.get(3).has("scaling"));
  }
}
