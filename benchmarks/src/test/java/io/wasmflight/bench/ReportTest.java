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
        .put("p50_ms", 0.2);
    write(dir, "kernel-java.json", k);
    ObjectNode n = JSON.createObjectNode();
    n.put("complete", true);
    ObjectNode failed = cell(n.putArray("cells"), "engine", "node", "add_one", 65536, 120e6);
    write(dir, "kernel-node.json", n);

    assertEquals(0, Report.write(dir, QUIET));
    JsonNode out = JSON.readTree(dir.resolve("results.json").toFile());
    assertEquals(13, out.path("verification").path("passed").asInt());
    JsonNode aot = out.path("e2e").get(1);
    assertEquals(0.65, aot.path("ratio_to_echo").asDouble(), 1e-9);
    assertEquals(130, aot.path("aot_over_interpreter").asDouble(), 1e-9);
    String md = Files.readString(dir.resolve("results.md"));
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
