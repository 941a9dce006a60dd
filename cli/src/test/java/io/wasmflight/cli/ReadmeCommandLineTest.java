package io.wasmflight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the commands of README "Command line" in order against a server on port 0 ({@code serve}
 * aside: the server is this test's), with its input files made here.
 */
class ReadmeCommandLineTest {
  @Test
  void theReadmeCommandsRunInOrder(@TempDir Path dir) throws Exception {
    String readme = Files.readString(LauncherTest.ROOT.resolve("README.md"));
    int section = readme.indexOf("## Command line");
    assertTrue(section >= 0, "no 'Command line' section in README.md");
    Matcher block =
        Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(readme.substring(section));
    assertTrue(block.find(), "no sh block in README 'Command line'");
    int ran = 0;
    try (CliRun s = CliRun.start()) {
      CallTest.writeInput(dir.resolve("rows.parquet"), 1000, s.allocator);
      CallTest.writeInput(dir.resolve("rows.csv"), 1000, s.allocator);
      for (String line : block.group(1).split("\n")) {
        String command = line.replaceAll("\\s+#.*$", "").trim();
        List<String> words = List.of(command.split(" +"));
        assertEquals("scripts/wasm-flight", words.get(0), line);
        if (words.get(1).equals("serve")) {
          continue;
        }
        List<String> args = new ArrayList<>();
        for (String w : words.subList(2, words.size())) {
          if (w.startsWith("guest-sdk-rust/target/wasm-examples/")) {
            args.add(CliRun.example(w.replaceAll(".*/|\\.wasm$", "")).toString());
          } else if (w.matches("[a-z]+\\.(parquet|csv|arrow)")) {
            args.add(dir.resolve(w).toString());
          } else {
            args.add(w);
          }
        }
        CliRun.Result r = s.cli(words.get(1), args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), line + "\n" + r);
        ran++;
      }
      assertEquals(1000, CallTest.checkOutput(dir.resolve("out.parquet"), s.allocator));
      assertEquals(1000, CallTest.checkOutput(dir.resolve("out.arrow"), s.allocator));
    }
    assertEquals(6, ran, "the README's client commands");
  }
}
