package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs proto-docs/java-client.md as a reader would: its {@code AddOne.java}, with the command line
 * the page gives for this JDK (flags included), in a JVM of its own against a live server.
 */
class DocsJavaClientTest {
  static final Path DOC = Path.of("..", "proto-docs", "java-client.md");

  record Run(int exitCode, String output) {}

  @Test
  void theDocumentedClientRunsWithTheDocumentedFlags(@TempDir Path dir) throws Exception {
    String doc = Files.readString(DOC);
    Matcher java = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertTrue(java.find(), "no java block in " + DOC);
    Files.writeString(dir.resolve("AddOne.java"), java.group(1));

    String heading =
        Runtime.version().feature() >= 23 ? "# JDK 23 and newer\n" : "# JDK 21 and 22\n";
    int at = doc.indexOf(heading);
    assertTrue(at >= 0, "no command line for this JDK in " + DOC);
    String line = doc.substring(at + heading.length(), doc.indexOf('\n', at + heading.length()));
    List<String> words = List.of(line.trim().split(" +"));
    assertEquals("java", words.get(0), line);
    List<String> flags = words.stream().filter(w -> w.startsWith("--")).toList();
    List<String> ours = ManagementFactory.getRuntimeMXBean().getInputArguments();
    assertTrue(
        ours.containsAll(flags),
        "the page's flags " + flags + " are not the build's (wasmflight.jvm.flags): " + ours);

    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String wasm = Path.of(System.getProperty("wasmflight.examples.dir"), "add_one.wasm").toString();
    try (TestServer s = TestServer.start()) {
      String server = "grpc://127.0.0.1:" + s.port();
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      for (String w : words.subList(1, words.size())) {
        command.add(
            switch (w) {
              case "\"$CLASSPATH\"" -> classpath;
              case "\"$SERVER\"" -> server;
              case "\"$WASM\"" -> wasm;
              default -> w;
            });
      }
      Run documented = run(dir, command);
      assertEquals(0, documented.exitCode(), documented.output());
      assertTrue(documented.output().contains("registered: true\n"), documented.output());
      assertTrue(
          documented.output().contains("rows: 1000000, sum: 500000500000\n"), documented.output());

      List<String> withoutFlags = new ArrayList<>(command);
      withoutFlags.removeIf(flags::contains);
      Run bare = run(dir, withoutFlags);
      assertNotEquals(0, bare.exitCode(), "the example ran without the flags: " + bare.output());
    }
  }

  private static Run run(Path dir, List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(out);
    }
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example did not end");
    return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }
}
