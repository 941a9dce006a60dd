package io.wasmflight.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The benchmark's server: a {@link WasmFlightServer} on a free port with the Rust guests of every
 * workload registered (modules {@code bench_<workload>}), their plain-Java twins ({@code
 * bench_native/<workload>}) and the transport ceiling {@code bench/echo} ({@link
 * NativeFunction#ECHO}).
 *
 * <pre>
 * BenchServer --wasm-dir DIR --data-dir DIR --info-file FILE [--port 0] [--call-timeout-ms N]
 * </pre>
 *
 * Prints {@code bench-server port <port> pid <pid>} once listening. Writes {@code --info-file}
 * (JSON: the registrations with their compile times) at start and again at shutdown (SIGTERM) with
 * the process's peak RSS ({@code VmHWM}).
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    Path wasmDir = Path.of(a.require("--wasm-dir"));
    Path dataDir = Path.of(a.require("--data-dir"));
    Path infoFile = Path.of(a.require("--info-file"));
    int port = a.intValue("--port", 0);

    ObjectMapper json = new ObjectMapper();
    BufferAllocator root = new RootAllocator();
    // The server's defaults (limits, 30 s per call, ...): what an operator runs. The harness
    // keeps interpreter batches small enough (<= 64K rows) for the default call limit.
    ServerConfig config = ServerConfig.defaults().withPort(port).withDataDir(dataDir);
    if (a.get("--call-timeout-ms", null) != null) {
      config = config.withCallTimeout(Duration.ofMillis(a.longValue("--call-timeout-ms", 0)));
    }
    WasmFlightServer server = WasmFlightServer.start(config, root);
    ObjectNode info = json.createObjectNode();
    info.put("pid", ProcessHandle.current().pid());
    info.put("port", server.port());
    ArrayNode modules = info.putArray("modules");
    for (Workload w : Workload.ALL) {
      byte[] wasm = Files.readAllBytes(wasmDir.resolve(w.wasmFile()));
      long t0 = System.nanoTime();
      String registered = server.register(w.module(), wasm);
      double ms = (System.nanoTime() - t0) / 1e6;
      ObjectNode m = (ObjectNode) json.readTree(registered);
      m.put("register_ms", ms);
      modules.add(m);
      w.registerNative(server, "bench_native");
    }
    server.registerNative("bench", "echo", NativeFunction.ECHO);
    info.put("rss_after_start_bytes", ProcStatus.rss("self"));
    Files.writeString(infoFile, json.writerWithDefaultPrettyPrinter().writeValueAsString(info));

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    info.put("peak_rss_bytes", ProcStatus.peakRss("self"));
                    info.put("rss_at_exit_bytes", ProcStatus.rss("self"));
                    Files.writeString(
                        infoFile, json.writerWithDefaultPrettyPrinter().writeValueAsString(info));
                    server.close();
                    root.close();
                  } catch (Exception e) {
                    System.err.println("bench-server: shutdown: " + e);
                  }
                },
                "bench-server-shutdown"));
    System.out.println(
        "bench-server port " + server.port() + " pid " + ProcessHandle.current().pid());
    System.out.flush();
    server.awaitTermination();
  }
}
