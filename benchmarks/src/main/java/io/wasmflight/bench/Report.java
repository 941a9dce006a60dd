package io.wasmflight.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Merges the parts a bench run wrote into one results folder ({@code client-java.json}, {@code
 * client-pyarrow.json}, {@code kernel-java.json}, {@code kernel-node.json}, {@code server.json},
 * {@code meta.json}) into {@code results.json}, {@code results.md} and the charts ({@code
 * chart.png}: Java client end to end; {@code chart-pyarrow.png}; {@code chart-kernel.png}).
 * Evaluates the targets (reported, never asserted) and counts the verified configurations: exits 1
 * when any configuration produced a wrong result, failed, or is missing.
 *
 * <pre>Report --dir RESULTS_DIR</pre>
 */
public final class Report {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> CONFIGS = BenchClient.CONFIGS;

  /** External baselines the pyarrow client also runs (bench_client.py): not our server. */
  static final List<String> BASELINES = List.of("cpp_echo", "py_rowwise");

  static final Map<String, String> CONFIG_LABELS =
      Map.of(
          "echo",
          "echo",
          "native",
          "native Java",
          "aot",
          "wasm AOT",
          "interpreter",
          "wasm interpreter",
          "cpp_echo",
          "pyarrow C++ echo server",
          "py_rowwise",
          "Python row-wise UDF server");
  static final List<String> ENGINES = List.of("aot", "interpreter", "node", "java");
  static final Map<String, String> ENGINE_LABELS =
      Map.of(
          "aot",
          "Chicory AOT",
          "interpreter",
          "Chicory interpreter",
          "node",
          "Node (V8)",
          "java",
          "plain Java");

  private final Path dir;
  private final List<String> failures = new ArrayList<>();
  private int passed;

  private Report(Path dir) {
    this.dir = dir;
  }

  // --- helpers used by the producers -----------------------------------------------------------

  /** Adds median/min/max of rows/s and MB/s to a cell. */
  static void putStats(ObjectNode cell, double[] rowsPerSec, double bytesPerRow) {
    double med = Stats.median(rowsPerSec);
    cell.put("rows_per_s_median", med);
    cell.put("rows_per_s_min", Stats.min(rowsPerSec));
    cell.put("rows_per_s_max", Stats.max(rowsPerSec));
    cell.put("mb_per_s_median", med * bytesPerRow / 1e6);
    cell.put("mb_per_s_min", Stats.min(rowsPerSec) * bytesPerRow / 1e6);
    cell.put("mb_per_s_max", Stats.max(rowsPerSec) * bytesPerRow / 1e6);
    cell.put("reps", rowsPerSec.length);
  }

  static String cellLine(JsonNode c) {
    String head =
        String.format(
            Locale.ROOT,
            "%-10s %-11s %8d rows/batch: ",
            c.path("workload").asText(),
            c.path("config").asText(),
            c.path("batch_rows").asInt());
    return head + statsText(c);
  }

  static String kernelLine(JsonNode c) {
    String head =
        String.format(
            Locale.ROOT,
            "%-11s %-10s %8d rows: ",
            c.path("engine").asText(),
            c.path("workload").asText(),
            c.path("batch_rows").asInt());
    return head + statsText(c);
  }

  private static String statsText(JsonNode c) {
    if (!c.path("verified").asBoolean(false)) {
      return "FAILED: " + c.path("error").asText("not verified");
    }
    if (!c.has("rows_per_s_median")) {
      return "verified";
    }
    return String.format(
        Locale.ROOT,
        "%s Mrows/s [%s-%s], %s MB/s",
        Chart.number(c.get("rows_per_s_median").asDouble() / 1e6),
        Chart.number(c.get("rows_per_s_min").asDouble() / 1e6),
        Chart.number(c.get("rows_per_s_max").asDouble() / 1e6),
        Chart.number(c.get("mb_per_s_median").asDouble()));
  }

  // --- main ------------------------------------------------------------------------------------

  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    System.exit(write(Path.of(a.require("--dir")), System.out));
  }

  /**
   * Writes the report of a results folder, printing where and the pass/fail count to {@code log};
   * returns 0 when every configuration passed.
   */
  static int write(Path dir, PrintStream log) throws IOException {
    return new Report(dir).run(log);
  }

  private JsonNode read(String name, boolean required) throws IOException {
    Path p = dir.resolve(name);
    if (!Files.exists(p)) {
      if (required) {
        failures.add(name + " is missing (that part of the run did not complete)");
      }
      return JSON.createObjectNode();
    }
    JsonNode n = JSON.readTree(p.toFile());
    if (required && !n.path("complete").asBoolean(false)) {
      failures.add(name + " is incomplete (that part of the run stopped early)");
    }
    return n;
  }

  private int run(PrintStream log) throws IOException {
    JsonNode meta = read("meta.json", false);
    JsonNode server = read("server.json", false);
    JsonNode javaClient = read("client-java.json", true);
    JsonNode pyClient = read("client-pyarrow.json", true);
    JsonNode kernel = read("kernel-java.json", true);
    JsonNode node = read("kernel-node.json", true);

    ObjectNode out = JSON.createObjectNode();
    ObjectNode m = meta.isObject() ? ((ObjectNode) meta).deepCopy() : JSON.createObjectNode();
    if (m.has("started_epoch_s")) {
      m.put(
          "wall_seconds_to_report",
          System.currentTimeMillis() / 1000.0 - m.get("started_epoch_s").asDouble());
    }
    out.set("meta", m);

    ArrayNode e2e = out.putArray("e2e");
    for (JsonNode client : List.of(javaClient, pyClient)) {
      for (JsonNode c : client.path("cells")) {
        e2e.add(normalize(c.deepCopy()));
      }
    }
    addEchoRatios(e2e);
    ArrayNode kernelCells = out.putArray("kernel");
    for (JsonNode c : kernel.path("cells")) {
      kernelCells.add(normalize(c.deepCopy()));
    }
    for (JsonNode c : node.path("cells")) {
      ObjectNode n = normalize(c.deepCopy());
      n.put("engine", "node");
      kernelCells.add(n);
    }
    addKernelRatios(kernelCells);
    // The AOT step breakdown ran in its own JVM (full mode only).
    JsonNode breakdown = read("kernel-breakdown.json", false);
    if (breakdown.has("cells") && !breakdown.path("complete").asBoolean(false)) {
      failures.add("kernel-breakdown.json is incomplete (that part of the run stopped early)");
    }
    for (JsonNode b : breakdown.path("cells")) {
      count(
          b,
          "kernel breakdown aot "
              + b.path("workload").asText()
              + " "
              + b.path("batch_rows").asInt());
      JsonNode aot =
          find(
              kernelCells,
              "engine",
              "aot",
              "workload",
              b.path("workload").asText(),
              "batch_rows",
              b.path("batch_rows").asText());
      if (aot != null && b.has("step")) {
        ((ObjectNode) aot).set("copy_in", b.get("copy_in"));
        ((ObjectNode) aot).set("step", b.get("step"));
      }
    }
    out.set("setup", kernel.path("setup"));
    out.set("session_roundtrip", javaClient.path("session_roundtrip"));
    ArrayNode concurrency = out.putArray("concurrency");
    for (JsonNode c : javaClient.path("concurrency")) {
      concurrency.add(normalize(c.deepCopy()));
    }
    addScaling(concurrency);
    ObjectNode srv = out.putObject("server");
    srv.set("modules", server.path("modules"));
    srv.put("peak_rss_bytes", server.path("peak_rss_bytes").asLong(-1));
    srv.put("rss_after_start_bytes", server.path("rss_after_start_bytes").asLong(-1));
    ObjectNode versions = out.putObject("versions");
    versions.put("java_server_and_client", javaClient.path("java_version").asText("?"));
    versions.put("node", node.path("node_version").asText("?"));
    versions.put("pyarrow", pyClient.path("pyarrow_version").asText("?"));
    versions.put("python", pyClient.path("python_version").asText("?"));

    // Verification count: every configuration that produced results.
    for (JsonNode c : e2e) {
      count(
          c,
          c.path("client").asText()
              + " "
              + c.path("workload").asText()
              + " "
              + c.path("config").asText()
              + " "
              + c.path("batch_rows").asInt());
    }
    for (JsonNode c : kernelCells) {
      count(
          c,
          "kernel "
              + c.path("engine").asText()
              + " "
              + c.path("workload").asText()
              + " "
              + c.path("batch_rows").asInt());
    }
    for (JsonNode c : out.path("session_roundtrip")) {
      count(c, "session round trip " + c.path("config").asText());
    }
    for (JsonNode c : concurrency) {
      count(
          c,
          "concurrency "
              + c.path("config").asText()
              + " "
              + c.path("workload").asText()
              + " "
              + c.path("batch_rows").asInt()
              + " x"
              + c.path("clients").asInt());
    }
    ArrayNode targets = out.putArray("targets");
    evaluateTargets(targets, e2e, kernelCells, out.path("setup"), concurrency);
    ObjectNode v = out.putObject("verification");
    v.put("passed", passed);
    v.put("failed", failures.size());
    ArrayNode f = v.putArray("failures");
    failures.forEach(f::add);

    Files.writeString(
        dir.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    Files.writeString(dir.resolve("results.md"), markdown(out));
    charts(out);
    log.println(
        "bench: results in "
            + dir.toAbsolutePath()
            + " (results.md, results.json, chart.png, chart-pyarrow.png, chart-kernel.png)");
    for (String s : failures) {
      log.println("bench: FAILED: " + s);
    }
    log.println("bench: " + passed + " passed, " + failures.size() + " failed");
    return failures.isEmpty() ? 0 : 1;
  }

  private void count(JsonNode c, String what) {
    if (c.path("verified").asBoolean(false)) {
      passed++;
    } else {
      failures.add(what + ": " + c.path("error").asText("not verified"));
    }
  }

  /** (Re)computes the statistics of a cell from its runs. */
  private static ObjectNode normalize(ObjectNode c) {
    JsonNode runs = c.path("runs");
    if (runs.isArray() && !runs.isEmpty()) {
      double[] r = new double[runs.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = runs.get(i).path("rows_per_s").asDouble();
      }
      putStats(c, r, c.path("bytes_per_row").asDouble());
    }
    return c;
  }

  private static String key(JsonNode c, String... fields) {
    StringBuilder b = new StringBuilder();
    for (String f : fields) {
      b.append(c.path(f).asText()).append('|');
    }
    return b.toString();
  }

  private static void addEchoRatios(ArrayNode e2e) {
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    for (JsonNode c : e2e) {
      byKey.put(key(c, "client", "workload", "batch_rows", "config"), c);
    }
    for (JsonNode c : e2e) {
      JsonNode echo = byKey.get(key(c, "client", "workload", "batch_rows") + "echo|");
      if (echo != null && echo.has("rows_per_s_median") && c.has("rows_per_s_median")) {
        ((ObjectNode) c)
            .put(
                "ratio_to_echo",
                c.get("rows_per_s_median").asDouble() / echo.get("rows_per_s_median").asDouble());
      }
      String config = c.path("config").asText();
      JsonNode cppEcho = byKey.get(key(c, "client", "workload", "batch_rows") + "cpp_echo|");
      if (config.equals("echo") && cppEcho != null) {
        putRatio(c, "ratio_to_cpp_echo", c, cppEcho);
      }
      JsonNode rowwise = byKey.get(key(c, "client", "workload", "batch_rows") + "py_rowwise|");
      if (config.equals("aot") && rowwise != null) {
        putRatio(c, "ratio_to_py_rowwise", c, rowwise);
      }
      JsonNode interp = byKey.get(key(c, "client", "workload", "batch_rows") + "interpreter|");
      if (c.path("config").asText().equals("aot")
          && interp != null
          && interp.has("rows_per_s_median")
          && c.has("rows_per_s_median")) {
        ((ObjectNode) c)
            .put(
                "aot_over_interpreter",
                c.get("rows_per_s_median").asDouble() / interp.get("rows_per_s_median").asDouble());
      }
    }
  }

  /** Puts {@code a}'s median rows/s over {@code b}'s into {@code c}, when both were measured. */
  private static void putRatio(JsonNode c, String field, JsonNode a, JsonNode b) {
    if (a.has("rows_per_s_median") && b.has("rows_per_s_median")) {
      ((ObjectNode) c)
          .put(
              field, a.get("rows_per_s_median").asDouble() / b.get("rows_per_s_median").asDouble());
    }
  }

  private static void addKernelRatios(ArrayNode cells) {
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    for (JsonNode c : cells) {
      byKey.put(key(c, "workload", "batch_rows", "engine"), c);
    }
    for (JsonNode c : cells) {
      JsonNode aot = byKey.get(key(c, "workload", "batch_rows") + "aot|");
      if (aot != null && aot.has("rows_per_s_median") && c.has("rows_per_s_median")) {
        ((ObjectNode) c)
            .put(
                "ratio_to_aot",
                c.get("rows_per_s_median").asDouble() / aot.get("rows_per_s_median").asDouble());
      }
    }
  }

  /** Each N-client cell's median over the one-client cell's of the same configuration. */
  private static void addScaling(ArrayNode cells) {
    for (JsonNode c : cells) {
      if (c.path("clients").asInt() <= 1) {
        continue;
      }
      JsonNode one =
          find(
              cells,
              "workload",
              c.path("workload").asText(),
              "config",
              c.path("config").asText(),
              "batch_rows",
              c.path("batch_rows").asText(),
              "clients",
              "1");
      if (one != null) {
        putRatio(c, "scaling", c, one);
      }
    }
  }

  /** The end-to-end cell of one client, workload, batch size and configuration, or null. */
  private static JsonNode e2eCell(
      JsonNode e2e, String client, String workload, int rows, String config) {
    return find(
        e2e,
        "client",
        client,
        "workload",
        workload,
        "batch_rows",
        String.valueOf(rows),
        "config",
        config);
  }

  private static JsonNode find(JsonNode cells, String... kv) {
    outer:
    for (JsonNode c : cells) {
      for (int i = 0; i < kv.length; i += 2) {
        if (!c.path(kv[i]).asText().equals(kv[i + 1])) {
          continue outer;
        }
      }
      return c;
    }
    return null;
  }

  private static double median(JsonNode c) {
    return c == null ? Double.NaN : c.path("rows_per_s_median").asDouble(Double.NaN);
  }

  // --- targets ---------------------------------------------------------------------------------

  private static void target(
      ArrayNode targets,
      String name,
      String where,
      double value,
      double goal,
      boolean atLeast,
      String unit) {
    ObjectNode t = targets.addObject();
    t.put("target", name);
    t.put("where", where);
    t.put("goal", (atLeast ? ">= " : "<= ") + Chart.number(goal) + unit);
    if (Double.isNaN(value)) {
      t.put("status", "n/a (not measured)");
      return;
    }
    t.put("value", value);
    t.put("measured", Chart.number(value) + unit);
    boolean met = atLeast ? value >= goal : value <= goal;
    t.put("met", met);
    if (met) {
      t.put("status", "met");
    } else {
      double miss = atLeast ? (goal - value) / goal * 100 : (value - goal) / goal * 100;
      t.put("miss_pct", miss);
      t.put("status", String.format(Locale.ROOT, "missed by %.1f%%", miss));
    }
  }

  /**
   * The targets of issue #12, from this run's cells: every one is reported (measured, goal,
   * status), none is asserted.
   */
  private static void evaluateTargets(
      ArrayNode targets, JsonNode e2e, JsonNode kernel, JsonNode setup, JsonNode concurrency) {
    for (Workload w : Workload.maps()) {
      double goal = w.name().equals("add_one") ? 1.5 : 1.2;
      for (int rows : sizes(kernel)) {
        JsonNode n =
            find(
                kernel, "engine", "node", "workload", w.name(), "batch_rows", String.valueOf(rows));
        if (n == null) {
          continue;
        }
        target(
            targets,
            "guest kernel: Node (V8) / Chicory AOT, same .wasm",
            w.name() + ", " + rowsLabel(rows) + " rows",
            n.path("ratio_to_aot").asDouble(Double.NaN),
            goal,
            false,
            "x");
      }
    }
    for (String client : List.of("java", "pyarrow")) {
      for (int rows : List.of(65536, 1048576)) {
        JsonNode aot = e2eCell(e2e, client, "add_one", rows, "aot");
        target(
            targets,
            "end to end: wasm AOT / the server's echo, add_one",
            client + " client, " + rowsLabel(rows) + " rows/batch",
            aot == null ? Double.NaN : aot.path("ratio_to_echo").asDouble(Double.NaN),
            0.95,
            true,
            "x");
      }
    }
    for (int rows : List.of(1024, 65536, 1048576)) {
      JsonNode echo = e2eCell(e2e, "pyarrow", "add_one", rows, "echo");
      target(
          targets,
          "transport: the server's echo / pyarrow C++ Flight echo server",
          "pyarrow client, add_one data, " + rowsLabel(rows) + " rows/batch",
          echo == null ? Double.NaN : echo.path("ratio_to_cpp_echo").asDouble(Double.NaN),
          0.8,
          true,
          "x");
    }
    boolean anyScaling = false;
    for (JsonNode c : concurrency) {
      if (c.path("clients").asInt() != 2) {
        continue;
      }
      anyScaling = true;
      target(
          targets,
          "concurrency: 2 concurrent clients / 1 client, throughput",
          c.path("workload").asText()
              + " "
              + CONFIG_LABELS.getOrDefault(c.path("config").asText(), c.path("config").asText())
              + ", "
              + rowsLabel(c.path("batch_rows").asInt())
              + " rows/batch, Java clients",
          c.path("scaling").asDouble(Double.NaN),
          1.7,
          true,
          "x");
    }
    if (!anyScaling) {
      target(
          targets,
          "concurrency: 2 concurrent clients / 1 client, throughput",
          "add_one, Java clients",
          Double.NaN,
          1.7,
          true,
          "x");
    }
    for (JsonNode s : setup) {
      target(
          targets,
          "session start: instantiate per session, p99 (compiled once)",
          s.path("workload").asText() + " (AOT)",
          s.path("instantiate_aot").path("p99_ms").asDouble(Double.NaN),
          1.0,
          false,
          " ms");
    }
    for (Workload w : Workload.maps()) {
      for (int rows : List.of(1024, 65536)) {
        JsonNode interp =
            find(
                kernel,
                "engine",
                "interpreter",
                "workload",
                w.name(),
                "batch_rows",
                String.valueOf(rows));
        if (interp == null) {
          continue;
        }
        target(
            targets,
            "guest kernel: Chicory AOT / interpreter",
            w.name() + ", " + rowsLabel(rows) + " rows",
            1 / interp.path("ratio_to_aot").asDouble(Double.NaN),
            100,
            true,
            "x");
      }
    }
  }

  // --- markdown --------------------------------------------------------------------------------

  static String rowsLabel(int rows) {
    if (rows >= 1 << 20 && rows % (1 << 20) == 0) {
      return (rows >> 20) + "M";
    }
    if (rows >= 1024 && rows % 1024 == 0) {
      return (rows >> 10) + "K";
    }
    return String.valueOf(rows);
  }

  /** A workload's name, with its kind when it is not a map. */
  static String label(Workload w) {
    return w.kind() == Workload.Kind.MAP ? w.name() : w.name() + " (" + w.kind().wireName() + ")";
  }

  private static String mrows(JsonNode c) {
    if (c == null) {
      return "-";
    }
    if (!c.path("verified").asBoolean(false)) {
      return "FAILED";
    }
    if (!c.has("rows_per_s_median")) {
      return "-";
    }
    return Chart.number(c.get("rows_per_s_median").asDouble() / 1e6);
  }

  private static String range(JsonNode c) {
    if (c == null || !c.has("rows_per_s_median")) {
      return mrows(c);
    }
    return mrows(c)
        + " ["
        + Chart.number(c.get("rows_per_s_min").asDouble() / 1e6)
        + "–"
        + Chart.number(c.get("rows_per_s_max").asDouble() / 1e6)
        + "]";
  }

  /** Median microseconds per batch of {@code rows} rows, from a cell's rows/s. */
  private static String micros(JsonNode c, int rows) {
    if (c == null || c.isMissingNode() || !c.has("rows_per_s_median")) {
      return "-";
    }
    return Chart.number(rows / c.get("rows_per_s_median").asDouble() * 1e6);
  }

  private static JsonNode withVerified(JsonNode c) {
    ObjectNode o = ((ObjectNode) c).deepCopy();
    o.put("verified", true);
    return o;
  }

  private static String ratio(double r) {
    return Double.isNaN(r) ? "-" : Chart.number(r) + "×";
  }

  private static String mib(long bytes) {
    return bytes <= 0 ? "-" : String.format(Locale.ROOT, "%.0f", bytes / 1048576.0);
  }

  private static TreeSet<Integer> sizes(JsonNode cells) {
    TreeSet<Integer> s = new TreeSet<>();
    for (JsonNode c : cells) {
      s.add(c.path("batch_rows").asInt());
    }
    return s;
  }

  private String markdown(JsonNode out) {
    StringBuilder b = new StringBuilder();
    JsonNode meta = out.path("meta");
    b.append("# wasm-flight benchmark (")
        .append(meta.path("mode").asText("?"))
        .append(" mode, ")
        .append(meta.path("started_at").asText("?"))
        .append(")\n\n");
    b.append("Machine: ").append(meta.path("machine").asText("?")).append(". ");
    JsonNode ver = out.path("versions");
    b.append("JDK ")
        .append(ver.path("java_server_and_client").asText())
        .append(", Node ")
        .append(ver.path("node").asText())
        .append(", pyarrow ")
        .append(ver.path("pyarrow").asText())
        .append(" (Python ")
        .append(ver.path("python").asText())
        .append(").");
    if (meta.has("git")) {
      b.append(" Source: commit ")
          .append(meta.path("git").path("head").asText())
          .append(
              meta.path("git").path("uncommitted_paths").asInt() > 0
                  ? " plus "
                      + meta.path("git").path("uncommitted_paths").asInt()
                      + " uncommitted paths"
                  : "")
          .append('.');
    }
    if (meta.has("wall_seconds_to_report")) {
      b.append(
          String.format(
              Locale.ROOT, " Wall time: %.0f s.", meta.get("wall_seconds_to_report").asDouble()));
    }
    b.append("\n\n");
    b.append(meta.path("method").asText("")).append("\n\n");
    if (meta.path("mode").asText().equals("quick")) {
      b.append(
          "**Quick mode: a smoke test of correctness. Every configuration ran on a few "
              + "cold batches; the timings below are not meaningful.**\n\n");
    }

    b.append("## Workloads\n\n| workload | kind | what |\n|---|---|---|\n");
    for (Workload w : Workload.ALL) {
      b.append("| ")
          .append(w.name())
          .append(" | ")
          .append(w.kind().wireName())
          .append(" | ")
          .append(w.description())
          .append(" |\n");
    }
    b.append('\n');

    b.append("## Targets (reported, not asserted)\n\n");
    b.append("| target | where | goal | measured | status |\n|---|---|---|---|---|\n");
    for (JsonNode t : out.path("targets")) {
      b.append("| ")
          .append(t.path("target").asText())
          .append(" | ")
          .append(t.path("where").asText())
          .append(" | ")
          .append(t.path("goal").asText())
          .append(" | ")
          .append(t.path("measured").asText("-"))
          .append(" | ")
          .append(t.path("status").asText())
          .append(" |\n");
    }
    b.append('\n');

    JsonNode e2e = out.path("e2e");
    for (String client : List.of("java", "pyarrow")) {
      String title =
          client.equals("java")
              ? "Java `FlightClient` in a separate JVM"
              : "pyarrow client in a separate process";
      b.append("## End to end: ").append(title).append("\n\n");
      b.append(
          "Input rows/s through one DoExchange, median of the timed runs, in Mrows/s. "
              + "×echo = this configuration's median / echo's on the same data and batch size. For "
              + "the filter, table and aggregate workloads the output is smaller or larger than the "
              + "input (kept rows, one row per word, one row per distinct word or one row in all), "
              + "so ×echo compares with sending the input back unchanged.\n\n");
      b.append(
          "| workload | rows/batch | echo | native Java | wasm AOT | wasm interpreter "
              + "| native ×echo | AOT ×echo | interp ×echo | AOT / interp |\n");
      b.append("|---|---|---|---|---|---|---|---|---|---|\n");
      for (Workload w : Workload.ALL) {
        for (int rows : sizes(e2e)) {
          String rs = String.valueOf(rows);
          JsonNode[] cs = new JsonNode[4];
          boolean any = false;
          for (int i = 0; i < 4; i++) {
            cs[i] =
                find(
                    e2e,
                    "client",
                    client,
                    "workload",
                    w.name(),
                    "batch_rows",
                    rs,
                    "config",
                    CONFIGS.get(i));
            any |= cs[i] != null;
          }
          if (!any) {
            continue;
          }
          b.append("| ").append(label(w)).append(" | ").append(rowsLabel(rows));
          for (JsonNode c : cs) {
            b.append(" | ").append(mrows(c));
          }
          for (int i = 1; i < 4; i++) {
            b.append(" | ")
                .append(
                    ratio(
                        cs[i] == null
                            ? Double.NaN
                            : cs[i].path("ratio_to_echo").asDouble(Double.NaN)));
          }
          b.append(" | ")
              .append(
                  ratio(
                      cs[2] == null
                          ? Double.NaN
                          : cs[2].path("aot_over_interpreter").asDouble(Double.NaN)));
          b.append(" |\n");
        }
      }
      b.append(
          "\n<details><summary>Details: min–max, MB/s, rows per run, server peak RSS"
              + "</summary>\n\n");
      b.append(
          "| workload | rows/batch | configuration | Mrows/s median [min–max] | MB/s "
              + "| ×echo | runs × rows | server peak RSS MiB |\n|---|---|---|---|---|---|---|---|\n");
      for (JsonNode c : e2e) {
        if (!c.path("client").asText().equals(client)) {
          continue;
        }
        JsonNode runs = c.path("runs");
        String rowsPerRun =
            runs.isArray() && !runs.isEmpty()
                ? runs.size() + " × " + runs.get(0).path("rows").asLong()
                : "-";
        b.append("| ")
            .append(c.path("workload").asText())
            .append(" | ")
            .append(rowsLabel(c.path("batch_rows").asInt()))
            .append(" | ")
            .append(
                CONFIG_LABELS.getOrDefault(c.path("config").asText(), c.path("config").asText()))
            .append(" | ")
            .append(range(c))
            .append(" | ")
            .append(
                c.has("mb_per_s_median") ? Chart.number(c.get("mb_per_s_median").asDouble()) : "-")
            .append(" | ")
            .append(ratio(c.path("ratio_to_echo").asDouble(Double.NaN)))
            .append(" | ")
            .append(rowsPerRun)
            .append(" | ")
            .append(mib(c.path("server_peak_rss_bytes").asLong(-1)))
            .append(" |\n");
      }
      b.append("\n</details>\n\n");
    }

    baselines(b, e2e);
    concurrency(b, out.path("concurrency"));

    JsonNode kernel = out.path("kernel");
    b.append("## Kernel only (no Flight: the batch is already in guest memory)\n\n");
    b.append(
        "Mrows/s, median of the timed repetitions. Node runs the same `.wasm` on the same "
            + "batch; plain Java is the native kernel on the Arrow batch in process.\n\n");
    b.append(
        "| workload | rows | Chicory AOT | Chicory interpreter | Node (V8) | plain Java "
            + "| AOT / interp | Node / AOT | Java / AOT |\n|---|---|---|---|---|---|---|---|---|\n");
    for (Workload w : Workload.maps()) {
      for (int rows : sizes(kernel)) {
        String rs = String.valueOf(rows);
        JsonNode[] cs = new JsonNode[4];
        boolean any = false;
        for (int i = 0; i < 4; i++) {
          cs[i] = find(kernel, "engine", ENGINES.get(i), "workload", w.name(), "batch_rows", rs);
          any |= cs[i] != null;
        }
        if (!any) {
          continue;
        }
        b.append("| ").append(w.name()).append(" | ").append(rowsLabel(rows));
        for (JsonNode c : cs) {
          b.append(" | ").append(mrows(c));
        }
        double interpRatio =
            cs[1] == null ? Double.NaN : cs[1].path("ratio_to_aot").asDouble(Double.NaN);
        b.append(" | ").append(ratio(1 / interpRatio));
        b.append(" | ")
            .append(
                ratio(
                    cs[2] == null ? Double.NaN : cs[2].path("ratio_to_aot").asDouble(Double.NaN)));
        b.append(" | ")
            .append(
                ratio(
                    cs[3] == null ? Double.NaN : cs[3].path("ratio_to_aot").asDouble(Double.NaN)));
        b.append(" |\n");
      }
    }
    b.append('\n');

    b.append(
        "Where the server's per-batch step goes with AOT (in process, no Flight; µs per "
            + "batch, medians): the copy of the Arrow buffers into guest memory, the guest call, and "
            + "the whole step as the server runs it (copy in, call, validate and copy out, "
            + "release), timed in a separate JVM; compared with the echo exchange's time per batch "
            + "seen by the Java client.\n\n");
    b.append(
        "| workload | rows | copy in µs | guest call µs | whole step µs | step Mrows/s "
            + "| echo end to end µs/batch | AOT end to end µs/batch |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    for (Workload w : Workload.maps()) {
      for (int rows : sizes(kernel)) {
        JsonNode aot =
            find(kernel, "engine", "aot", "workload", w.name(), "batch_rows", String.valueOf(rows));
        if (aot == null || !aot.has("step")) {
          continue;
        }
        JsonNode echo =
            find(
                e2e,
                "client",
                "java",
                "workload",
                w.name(),
                "batch_rows",
                String.valueOf(rows),
                "config",
                "echo");
        JsonNode aotE2e =
            find(
                e2e,
                "client",
                "java",
                "workload",
                w.name(),
                "batch_rows",
                String.valueOf(rows),
                "config",
                "aot");
        b.append("| ")
            .append(w.name())
            .append(" | ")
            .append(rowsLabel(rows))
            .append(" | ")
            .append(micros(aot.path("copy_in"), rows))
            .append(" | ")
            .append(micros(aot, rows))
            .append(" | ")
            .append(micros(aot.path("step"), rows))
            .append(" | ")
            .append(mrows(aot.path("step").isMissingNode() ? null : withVerified(aot.path("step"))))
            .append(" | ")
            .append(micros(echo, rows))
            .append(" | ")
            .append(micros(aotE2e, rows))
            .append(" |\n");
      }
    }
    b.append('\n');

    b.append("## Session setup\n\n");
    b.append(
        "Compile once per module (at registration), then one instance per session. "
            + "Instantiate times over the sessions after the first (and 50 unmeasured warm-ups).\n\n");
    b.append(
        "| module | .wasm KiB | parse ms | compile ms | server register ms "
            + "| AOT instantiate first / p50 / p99 ms | interpreter instantiate p50 / p99 ms |\n"
            + "|---|---|---|---|---|---|---|\n");
    for (JsonNode s : out.path("setup")) {
      JsonNode reg =
          find(out.path("server").path("modules"), "name", "bench_" + s.path("workload").asText());
      JsonNode ia = s.path("instantiate_aot");
      JsonNode ii = s.path("instantiate_interpreter");
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %.1f | %.0f | %s | %.2f / %.3f / %.3f " + "| %.3f / %.3f |\n",
              s.path("workload").asText(),
              s.path("module_bytes").asDouble() / 1024,
              s.path("parse_ms").asDouble(),
              s.path("compile_ms").asDouble(),
              reg == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.0f", reg.path("register_ms").asDouble()),
              ia.path("first_ms").asDouble(),
              ia.path("p50_ms").asDouble(),
              ia.path("p99_ms").asDouble(),
              ii.path("p50_ms").asDouble(),
              ii.path("p99_ms").asDouble()));
    }
    b.append(
        "\nWhole session seen by the Java client (open DoExchange, one 1-row add_one batch, "
            + "read it, close):\n\n| configuration | p50 ms | p99 ms |\n|---|---|---|\n");
    for (JsonNode r : out.path("session_roundtrip")) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s |\n",
              CONFIG_LABELS.get(r.path("config").asText()),
              r.has("p50_ms")
                  ? String.format(Locale.ROOT, "%.3f", r.get("p50_ms").asDouble())
                  : "-",
              r.has("p99_ms")
                  ? String.format(Locale.ROOT, "%.3f", r.get("p99_ms").asDouble())
                  : "-"));
    }
    b.append("\n## Server memory\n\n");
    JsonNode srv = out.path("server");
    b.append("Server RSS after start (modules registered): ")
        .append(mib(srv.path("rss_after_start_bytes").asLong()))
        .append(" MiB; peak RSS over " + "the whole run (VmHWM at shutdown): ")
        .append(mib(srv.path("peak_rss_bytes").asLong()))
        .append(
            " MiB. Per-configuration "
                + "peaks are in the end-to-end details (VmHWM reset before each timed run). The server "
                + "JVM runs with "
                + meta.path("params").path("jvm_flags").asText("?")
                + ": its RSS "
                + "is mostly Java heap that G1 grows and keeps, so per-configuration peaks rise "
                + "over the run; guest memory (one flat byte[] per session) is on that heap.\n\n");

    b.append("## Verification\n\n");
    JsonNode v = out.path("verification");
    b.append(v.path("passed").asInt())
        .append(" configurations verified, ")
        .append(v.path("failed").asInt())
        .append(" failed.\n");
    for (JsonNode f : v.path("failures")) {
      b.append("- ").append(f.asText()).append('\n');
    }
    return b.toString();
  }

  /** The external baselines, measured by the same pyarrow client process in the same run. */
  private static void baselines(StringBuilder b, JsonNode e2e) {
    b.append("## External baselines (pyarrow client, same process, same run)\n\n");
    b.append(
        "The server's echo against a pyarrow (C++) Flight server that echoes each batch "
            + "(`benchmarks/python/echo_server.py`), and wasm AOT against a Python Flight server "
            + "that evaluates the map row by row in Python, the way Python remote-UDF servers "
            + "evaluate scalar functions (`benchmarks/python/rowwise_udf_server.py`). Mrows/s, "
            + "medians; every output verified like ours.\n\n");
    b.append(
        "| workload | rows/batch | the server's echo | pyarrow C++ echo | echo / C++ echo "
            + "| wasm AOT | Python row-wise UDF | AOT / row-wise |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    boolean any = false;
    for (Workload w : Workload.ALL) {
      for (int rows : sizes(e2e)) {
        JsonNode cpp = e2eCell(e2e, "pyarrow", w.name(), rows, "cpp_echo");
        JsonNode rowwise = e2eCell(e2e, "pyarrow", w.name(), rows, "py_rowwise");
        if (cpp == null && rowwise == null) {
          continue;
        }
        any = true;
        JsonNode echo = e2eCell(e2e, "pyarrow", w.name(), rows, "echo");
        JsonNode aot = e2eCell(e2e, "pyarrow", w.name(), rows, "aot");
        b.append("| ")
            .append(label(w))
            .append(" | ")
            .append(rowsLabel(rows))
            .append(" | ")
            .append(mrows(echo))
            .append(" | ")
            .append(mrows(cpp))
            .append(" | ")
            .append(
                ratio(
                    echo == null
                        ? Double.NaN
                        : echo.path("ratio_to_cpp_echo").asDouble(Double.NaN)))
            .append(" | ")
            .append(mrows(aot))
            .append(" | ")
            .append(mrows(rowwise))
            .append(" | ")
            .append(
                ratio(
                    aot == null
                        ? Double.NaN
                        : aot.path("ratio_to_py_rowwise").asDouble(Double.NaN)))
            .append(" |\n");
      }
    }
    if (!any) {
      b.append("| (not run) | | | | | | | |\n");
    }
    b.append('\n');
  }

  /** Aggregate throughput of one and of several concurrent Java clients. */
  private static void concurrency(StringBuilder b, JsonNode cells) {
    b.append("## Concurrency (Java clients, one connection each)\n\n");
    b.append(
        "Input rows/s summed over all clients, from the moment they start together to the last "
            + "one's end, median of the timed runs; scaling = N clients' median / one client's. "
            + "Server and clients share the machine's cores.\n\n");
    b.append(
        "| workload | configuration | rows/batch | clients | Mrows/s median [min–max] | scaling |\n"
            + "|---|---|---|---|---|---|\n");
    if (cells.isEmpty()) {
      b.append("| (not run) | | | | | |\n");
    }
    for (JsonNode c : cells) {
      b.append("| ")
          .append(c.path("workload").asText())
          .append(" | ")
          .append(CONFIG_LABELS.getOrDefault(c.path("config").asText(), c.path("config").asText()))
          .append(" | ")
          .append(rowsLabel(c.path("batch_rows").asInt()))
          .append(" | ")
          .append(c.path("clients").asInt())
          .append(" | ")
          .append(range(c))
          .append(" | ")
          .append(ratio(c.path("scaling").asDouble(Double.NaN)))
          .append(" |\n");
    }
    b.append('\n');
  }

  // --- charts ----------------------------------------------------------------------------------

  private static Chart.Bar bar(JsonNode c) {
    if (c == null || !c.has("rows_per_s_median")) {
      return Chart.Bar.NONE;
    }
    return new Chart.Bar(
        c.get("rows_per_s_median").asDouble() / 1e6,
        c.get("rows_per_s_min").asDouble() / 1e6,
        c.get("rows_per_s_max").asDouble() / 1e6);
  }

  private void charts(JsonNode out) throws IOException {
    JsonNode e2e = out.path("e2e");
    JsonNode meta = out.path("meta");
    String sub =
        " ("
            + meta.path("mode").asText("?")
            + " mode, "
            + meta.path("machine_short").asText(meta.path("machine").asText("?"))
            + ")";
    for (String client : List.of("java", "pyarrow")) {
      List<Chart.Panel> panels = new ArrayList<>();
      for (Workload w : Workload.ALL) {
        List<String> groups = new ArrayList<>();
        List<Chart.Bar[]> bars = new ArrayList<>();
        for (int rows : sizes(e2e)) {
          Chart.Bar[] g = new Chart.Bar[CONFIGS.size()];
          boolean any = false;
          for (int i = 0; i < g.length; i++) {
            JsonNode c =
                find(
                    e2e,
                    "client",
                    client,
                    "workload",
                    w.name(),
                    "batch_rows",
                    String.valueOf(rows),
                    "config",
                    CONFIGS.get(i));
            g[i] = bar(c);
            any |= c != null;
          }
          if (any) { // a size this workload ran at
            groups.add(rowsLabel(rows));
            bars.add(g);
          }
        }
        if (!groups.isEmpty()) {
          panels.add(new Chart.Panel(label(w), groups, bars.toArray(new Chart.Bar[0][])));
        }
      }
      String title =
          "End-to-end DoExchange throughput, "
              + (client.equals("java") ? "Java FlightClient" : "pyarrow client")
              + sub;
      Chart.write(
          dir.resolve(client.equals("java") ? "chart.png" : "chart-pyarrow.png"),
          title,
          "Mrows/s (log scale)",
          CONFIGS.stream().map(CONFIG_LABELS::get).toList(),
          panels);
    }
    JsonNode kernel = out.path("kernel");
    List<Chart.Panel> panels = new ArrayList<>();
    for (Workload w : Workload.maps()) {
      List<String> groups = new ArrayList<>();
      List<Chart.Bar[]> bars = new ArrayList<>();
      for (int rows : sizes(kernel)) {
        Chart.Bar[] g = new Chart.Bar[ENGINES.size()];
        for (int i = 0; i < g.length; i++) {
          g[i] =
              bar(
                  find(
                      kernel,
                      "engine",
                      ENGINES.get(i),
                      "workload",
                      w.name(),
                      "batch_rows",
                      String.valueOf(rows)));
        }
        groups.add(rowsLabel(rows));
        bars.add(g);
      }
      panels.add(new Chart.Panel(w.name(), groups, bars.toArray(new Chart.Bar[0][])));
    }
    Chart.write(
        dir.resolve("chart-kernel.png"),
        "Kernel-only throughput (no Flight)" + sub,
        "Mrows/s (log scale)",
        ENGINES.stream().map(ENGINE_LABELS::get).toList(),
        panels);
  }
}
