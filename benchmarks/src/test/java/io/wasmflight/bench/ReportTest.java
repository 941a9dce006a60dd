package io.wasmflight.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of a synthetic run: tables, ratios, targets, charts, pass/fail counting. */
class ReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  private static ObjectNode cell(
      ArrayNode cells, String key, String value, String workload, int rows, double... rowsPerSec) {
    ObjectNode c = cells.addObject();
    c.put(key, value);
    c.put("workload", workload);
    c.put("batch_rows", rows);
    c.put("bytes_per_row", 8.125);
    c.put("verified", true);
    ArrayNode runs = c.putArray("runs");
    for (double r : rowsPerSec) {
      runs.addObject().put("rows_per_s", r).put("rows", rows * 10L);
    }
    return c;
  }

  private static void write(Path dir, String name, JsonNode n) throws Exception {
    Files.writeString(dir.resolve(name), JSON.writeValueAsString(n));
  }

  @Test
  void writesTablesChartsAndCounts(@TempDir Path dir) throws Exception {
    for (String client : new String[] {"java", "pyarrow"}) {
      ObjectNode c = JSON.createObjectNode();
      c.put("complete", true);
      ArrayNode cells = c.putArray("cells");
      cell(cells, "config", "echo", "add_one", 65536, 100e6, 90e6, 110e6).put("client", client);
      cell(cells, "config", "aot", "add_one", 65536, 60e6, 70e6, 65e6).put("client", client);
      cell(cells, "config", "interpreter", "add_one", 65536, 0.5e6).put("client", client);
      cell(cells, "config", "echo", "positive", 1024, 40e6).put("client", client);
      cell(cells, "config", "native", "positive", 1024, 30e6).put("client", client);
      if (client.equals("pyarrow")) {
        cell(cells, "config", "cpp_echo", "add_one", 65536, 160e6).put("client", client);
        cell(cells, "config", "py_rowwise", "add_one", 65536, 1.3e6).put("client", client);
      } else {
        ArrayNode conc = c.putArray("concurrency");
        cell(conc, "config", "aot", "add_one", 65536, 62e6, 66e6).put("clients", 1);
        cell(conc, "config", "aot", "add_one", 65536, 100e6, 92e6).put("clients", 2);
      }
      write(dir, "client-" + client + ".json", c);
    }
    ObjectNode k = JSON.createObjectNode();
    k.put("complete", true);
    ArrayNode kc = k.putArray("cells");
    cell(kc, "engine", "aot", "add_one", 65536, 90e6);
    cell(kc, "engine", "interpreter", "add_one", 65536, 0.45e6);
    k.putArray("setup")
        .addObject()
        .put("workload", "add_one")
        .putObject("instantiate_aot")
        .put("p50_ms", 0.2)
        .put("p99_ms", 1.4);
    write(dir, "kernel-java.json", k);
    ObjectNode n = JSON.createObjectNode();
    n.put("complete", true);
    ObjectNode failed = cell(n.putArray("cells"), "engine", "node", "add_one", 65536, 120e6);
    write(dir, "kernel-node.json", n);

    assertEquals(0, Report.write(dir, QUIET));
    JsonNode out = JSON.readTree(dir.resolve("results.json").toFile());
    // 5 Java and 7 pyarrow end-to-end cells, 3 kernel cells, 2 concurrency cells.
    assertEquals(17, out.path("verification").path("passed").asInt());
    JsonNode aot = out.path("e2e").get(1);
    assertEquals(0.65, aot.path("ratio_to_echo").asDouble(), 1e-9);
    assertEquals(130, aot.path("aot_over_interpreter").asDouble(), 1e-9);
    JsonNode pyEcho = out.path("e2e").get(5);
    assertEquals(100.0 / 160, pyEcho.path("ratio_to_cpp_echo").asDouble(), 1e-9);
    assertEquals(65 / 1.3, out.path("e2e").get(6).path("ratio_to_py_rowwise").asDouble(), 1e-9);
    assertEquals(1.5, out.path("concurrency").get(1).path("scaling").asDouble(), 1e-9);
    String md = Files.readString(dir.resolve("results.md"));
    // Every target of issue #12 is reported with its status.
    assertTrue(
        md.contains(
            "| guest kernel: Node (V8) / Chicory AOT, same .wasm | add_one, 64K rows | <= 1.50x "
                + "| 1.33x | met |"),
        md);
    assertTrue(
        md.contains(
            "| transport: the server's echo / pyarrow C++ Flight echo server "
                + "| pyarrow client, add_one data, 64K rows/batch | >= 0.800x | 0.625x "
                + "| missed by 21.9% |"),
        md);
    assertTrue(
        md.contains(
            "| concurrency: 2 concurrent clients / 1 client, throughput "
                + "| add_one wasm AOT, 64K rows/batch, Java clients | >= 1.70x | 1.50x "
                + "| missed by 11.8% |"),
        md);
    assertTrue(
        md.contains(
            "| session start: instantiate per session, p99 (compiled once) | add_one (AOT) "
                + "| <= 1.00 ms | 1.40 ms | missed by 40.0% |"),
        md);
    assertTrue(
        md.contains(
            "| guest kernel: Chicory AOT / interpreter | add_one, 64K rows | >= 100x | 200x "
                + "| met |"),
        md);
    assertTrue(md.contains("| add_one | 64K | 100 | 160 | 0.625× | 65.0 | 1.30 | 50.0× |"), md);
    assertTrue(md.contains("| add_one | wasm AOT | 64K | 2 | 96.0 [92.0–100] | 1.50× |"), md);
    assertTrue(
        md.contains(
            "| add_one | 64K | 100 | - | 65.0 | 0.500 | - | 0.650× | 0.0050× " + "| 130× |"),
        md);
    assertTrue(md.contains("missed by 31.6%"), md);
    assertTrue(
        md.contains("| positive (filter) | 1K | 40.0 | 30.0 | - | - | 0.750× | - | - | - |"), md);
    assertTrue(md.contains("| word_count | aggregate | count of each word"), md);
    for (String png : new String[] {"chart.png", "chart-pyarrow.png", "chart-kernel.png"}) {
      assertEquals(1600, ImageIO.read(dir.resolve(png).toFile()).getWidth());
    }

    failed.put("verified", false).put("error", "checksum differs");
    write(dir, "kernel-node.json", n);
    Files.delete(dir.resolve("client-pyarrow.json"));
    assertEquals(1, Report.write(dir, QUIET));
    out = JSON.readTree(dir.resolve("results.json").toFile());
    assertEquals(2, out.path("verification").path("failed").asInt());
  }
}
