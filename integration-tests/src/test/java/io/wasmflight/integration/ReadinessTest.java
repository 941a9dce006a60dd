package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.WasmFlightServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC health service and the start-up gate: a server whose {@code --register} modules are not
 * registered yet answers NOT_SERVING and refuses every Flight call with UNAVAILABLE, so no client
 * sees it half-loaded; SERVING once they are in; NOT_SERVING once it shuts down.
 */
class ReadinessTest {
  @TempDir Path dir;

  private static ServingStatus health(ManagedChannel channel, String service) {
    HealthCheckResponse r =
        HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build());
    return r.getStatus();
  }

  private static String listModules(FlightClient client) {
    Iterator<Result> results = client.doAction(new Action("list", new byte[0]));
    String out = new String(results.next().getBody(), StandardCharsets.UTF_8);
    results.forEachRemaining(r -> {});
    return out;
  }

  private ServerConfig config(String... modules) throws Exception {
    ServerConfig c = ServerConfig.defaults().withPort(0).withDataDir(dir.resolve("data"));
    for (String m : modules) {
      Path file = dir.resolve(m + ".wasm");
      Files.write(file, Guests.rust(m));
      c = c.withPreload(m, file);
    }
    return c.withMetricsPort(0);
  }

  @Test
  void notServingAndUnavailableUntilThePreloadsAreInThenServing() throws Exception {
    try (BufferAllocator root = new RootAllocator()) {
      // listen() is start() stopped between opening the port and registering the preloads: the
      // moment a client that connects as soon as the port opens can hit.
      WasmFlightServer server = WasmFlightServer.listen(config("add_one", "upper"), root);
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try (FlightClient client =
          FlightClient.builder(root, Location.forGrpcInsecure("127.0.0.1", server.port()))
              .build()) {
        assertFalse(server.isReady());
        assertEquals(ServingStatus.NOT_SERVING, health(channel, ""));
        assertEquals(
            ServingStatus.NOT_SERVING, health(channel, "arrow.flight.protocol.FlightService"));
        FlightRuntimeException e =
            assertThrows(FlightRuntimeException.class, () -> listModules(client));
        assertEquals(FlightStatusCode.UNAVAILABLE, e.status().code());
        assertEquals("starting: loading 2 modules", e.status().description());
        assertEquals(503, Scrape.get(server.metricsPort(), "/ready").status());

        server.finishStarting();

        assertTrue(server.isReady());
        assertEquals(ServingStatus.SERVING, health(channel, ""));
        assertEquals(ServingStatus.SERVING, health(channel, "arrow.flight.protocol.FlightService"));
        String modules = listModules(client);
        assertTrue(modules.contains("\"add_one\"") && modules.contains("\"upper\""), modules);
        assertEquals(200, Scrape.get(server.metricsPort(), "/ready").status());
        assertEquals(
            2.0, Scrape.metrics(server.metricsPort()).get("wasmflight_modules_registered"));

        // Shutting down: a watcher sees NOT_SERVING before the port closes.
        LinkedBlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
        HealthGrpc.newStub(channel)
            .watch(
                HealthCheckRequest.newBuilder().setService("").build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(HealthCheckResponse r) {
                    seen.add(r.getStatus());
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
        assertEquals(ServingStatus.SERVING, seen.poll(10, TimeUnit.SECONDS));
        // close() waits for open calls (the watch among them): run it beside the watcher.
        Thread closing =
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                  }
                });
        closing.start();
        assertEquals(ServingStatus.NOT_SERVING, seen.poll(10, TimeUnit.SECONDS));
        channel.shutdownNow();
        closing.join(30_000);
        assertFalse(closing.isAlive());
      } finally {
        channel.shutdownNow();
        channel.awaitTermination(10, TimeUnit.SECONDS);
        server.close(); // a second close does nothing
      }
    }
  }

  @Test
  void theStartingMessageCountsTheModules() throws Exception {
    try (BufferAllocator root = new RootAllocator()) {
      WasmFlightServer server = WasmFlightServer.listen(config("add_one"), root);
      try (FlightClient client =
          FlightClient.builder(root, Location.forGrpcInsecure("127.0.0.1", server.port()))
              .build()) {
        FlightRuntimeException e =
            assertThrows(FlightRuntimeException.class, () -> listModules(client));
        assertEquals(FlightStatusCode.UNAVAILABLE, e.status().code());
        assertEquals("starting: loading 1 module", e.status().description());
      } finally {
        server.close();
      }
    }
  }

  @Test
  void startReturnsOnlyOnceEveryPreloadIsRegistered() throws Exception {
    try (BufferAllocator root = new RootAllocator();
        WasmFlightServer server = WasmFlightServer.start(config("add_one", "upper"), root);
        FlightClient client =
            FlightClient.builder(root, Location.forGrpcInsecure("127.0.0.1", server.port()))
                .build()) {
      assertTrue(server.isReady());
      String modules = listModules(client);
      assertTrue(modules.contains("\"add_one\"") && modules.contains("\"upper\""), modules);
    }
  }

  @Test
  void aPreloadThatCannotBeRegisteredFailsTheStartAndFreesThePort() throws Exception {
    Path bad = dir.resolve("bad.wasm");
    Files.write(bad, "not wasm".getBytes(StandardCharsets.UTF_8));
    ServerConfig c =
        ServerConfig.defaults().withPort(0).withDataDir(dir.resolve("data")).withPreload("b", bad);
    try (BufferAllocator root = new RootAllocator()) {
      WasmFlightException e =
          assertThrows(WasmFlightException.class, () -> WasmFlightServer.start(c, root));
      assertTrue(
          e.getMessage().startsWith("module rejected in preload b=" + bad + ": "), e.getMessage());
    }
  }
}
