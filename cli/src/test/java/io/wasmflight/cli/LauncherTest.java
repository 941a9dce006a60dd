package io.wasmflight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The launchers' --help (cli/help/*.txt equal to picocli's help, printed without a build) and
 * run-server.sh's handling of the examples (never over a user's module).
 */
class LauncherTest {
  static final Path ROOT = Path.of(System.getProperty("wasmflight.cli.root", ".."));

  @Test
  void helpFilesAreTheCodesHelp() throws IOException {
    CommandLine cli =
        WasmFlightCli.commandLine(
            new java.io.PrintWriter(java.io.Writer.nullWriter()),
            new java.io.PrintWriter(java.io.Writer.nullWriter()));
    String regenerate =
        "; regenerate with: for s in serve register list describe unregister call hash-secret; do"
            + " java -jar cli/target/cli-*.jar $s --help > cli/help/$s.txt; done;"
            + " java -jar cli/target/cli-*.jar --help > cli/help/wasm-flight.txt";
    assertEquals(
        cli.getUsageMessage(),
        Files.readString(ROOT.resolve("cli/help/wasm-flight.txt")),
        "cli/help/wasm-flight.txt" + regenerate);
    for (Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet()) {
      if (sub.getKey().equals("help")) {
        continue;
      }
      assertEquals(
          sub.getValue().getUsageMessage(),
          Files.readString(ROOT.resolve("cli/help/" + sub.getKey() + ".txt")),
          "cli/help/" + sub.getKey() + ".txt" + regenerate);
    }
  }

  /** A copy of the launchers and help files only: a clean checkout, nothing built, no JDK. */
  private static Path cleanCheckout(Path dir) throws IOException {
    for (String f :
        List.of("run-server.sh", "scripts/wasm-flight", "scripts/common.sh", "cli/help")) {
      Path src = ROOT.resolve(f);
      try (Stream<Path> files = Files.walk(src)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Path to = dir.resolve(f).resolve(src.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else {
            Files.createDirectories(to.getParent());
            Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
          }
        }
      }
    }
    return dir;
  }

  record Run(int exitCode, String out, long millis) {}

  private static Run run(Path dir, Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().put("PATH", "/usr/bin:/bin"); // no mvn or java needed for what is tested
    pb.environment().remove("JAVA_HOME");
    long start = System.nanoTime();
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "did not end");
    return new Run(
        p.exitValue(),
        out.toString(StandardCharsets.UTF_8),
        (System.nanoTime() - start) / 1_000_000);
  }

  @Test
  void helpAnswersAtOnceOnACleanCheckout(@TempDir Path tmp) throws Exception {
    Path checkout = cleanCheckout(tmp);
    assertFalse(Files.exists(checkout.resolve("cli/target")));
    String serveHelp = Files.readString(ROOT.resolve("cli/help/serve.txt"));
    for (String[] command :
        List.of(
            new String[] {"./run-server.sh", "--help"},
            new String[] {"./run-server.sh", "--port", "9000", "-h"},
            new String[] {"scripts/wasm-flight", "serve", "--help"},
            new String[] {"scripts/wasm-flight", "--help"},
            new String[] {"scripts/wasm-flight", "call", "--help"},
            new String[] {"scripts/wasm-flight", "help", "list"})) {
      Run r = run(checkout, Map.of(), command);
      assertEquals(0, r.exitCode(), String.join(" ", command) + ": " + r.out());
      assertTrue(r.millis() < 5_000, String.join(" ", command) + " took " + r.millis() + " ms");
      String expected =
          switch (command[command.length - 1].equals("list") ? "list" : command[1]) {
            case "call" -> Files.readString(ROOT.resolve("cli/help/call.txt"));
            case "list" -> Files.readString(ROOT.resolve("cli/help/list.txt"));
            case "--help" ->
                command[0].equals("./run-server.sh")
                    ? serveHelp
                    : Files.readString(ROOT.resolve("cli/help/wasm-flight.txt"));
            default -> serveHelp;
          };
      assertEquals(expected, r.out(), String.join(" ", command));
    }
  }

  @Test
  void runServerUsesADemoDataDirUnlessGivenOne(@TempDir Path tmp) throws Exception {
    Path checkout = cleanCheckout(tmp.resolve("checkout"));
    Path examples = checkout.resolve("guest-sdk-rust/target/wasm-examples");
    Files.createDirectories(examples);
    Files.write(examples.resolve("upper.wasm"), new byte[] {0, 'a', 's', 'm'});
    Map<String, String> env =
        Map.of("WASM_FLIGHT_DRY_RUN", "1", "HOME", tmp.toString(), "XDG_STATE_HOME", "");
    Run demo = run(checkout, env, "./run-server.sh", "--port", "9000");
    assertEquals(0, demo.exitCode(), demo.out());
    assertTrue(
        demo.out().contains("serve --data-dir " + tmp + "/.local/state/wasm-flight/demo "),
        demo.out());
    assertTrue(demo.out().contains("--register-new upper=" + examples + "/upper.wasm"), demo.out());
    assertFalse(demo.out().contains("--register "), demo.out());

    Run own = run(checkout, env, "./run-server.sh", "--data-dir", "/srv/mine");
    assertEquals(0, own.exitCode(), own.out());
    assertFalse(own.out().contains("/demo"), own.out());
    assertTrue(own.out().contains("--data-dir /srv/mine"), own.out());
  }

  @Test
  void registerNewKeepsAUsersModule(@TempDir Path tmp) throws Exception {
    // A user's own module named 'upper' (here add_one's bytes) in the data dir.
    Path modules = Files.createDirectories(tmp.resolve("data/modules"));
    byte[] users = Files.readAllBytes(CliRun.example("add_one"));
    Files.write(modules.resolve("upper.wasm"), users);
    // The server's own entry point on this build's classes, with this JVM's flags.
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--sun-misc") || a.startsWith("--enable")) {
        command.add(a);
      }
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
            "io.wasmflight.server.Main",
            "--port",
            "0",
            "--data-dir",
            tmp.resolve("data").toString(),
            "--register-new",
            "upper=" + CliRun.example("upper"),
            "--register-new",
            "positive=" + CliRun.example("positive")));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      StringBuilder out = new StringBuilder();
      java.io.BufferedReader lines =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      String address = null;
      while ((line = lines.readLine()) != null) {
        out.append(line).append('\n');
        int at = line.indexOf("listening on ");
        if (at >= 0) {
          address = line.substring(at + "listening on ".length()).split(" ")[0];
          break;
        }
      }
      assertTrue(address != null, "the server did not start:\n" + out);
      assertTrue(out.toString().contains("kept module 'upper' of the data dir"), out.toString());
      assertTrue(out.toString().contains("registered module 'positive'"), out.toString());
      CliRun.Result described = CliRun.run("describe", "upper", "--server", address);
      assertEquals(0, described.exitCode(), described.toString());
      assertTrue(described.out().contains("  add_one  map"), "still the user's module");
      // The server migrated the flat file to version 1 and stored no other version of 'upper'.
      assertTrue(
          java.util.Arrays.equals(users, Files.readAllBytes(modules.resolve("upper/1.wasm"))));
      assertTrue(Files.notExists(modules.resolve("upper/2.wasm")), "a second version was stored");
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
