package io.wasmflight.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/** Compiles and runs the Java example of proto-docs/flight-protocol.md against a live server. */
class DocsJavaSnippetTest {
  static final Path DOC = Path.of("..", "proto-docs", "flight-protocol.md");

  @Test
  void javaExampleRunsAsDocumented() throws Exception {
    Matcher m =
        Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
    assertTrue(m.find(), "no java block in " + DOC);
    String source =
        """
        import java.util.*;
        import org.apache.arrow.flight.*;
        import org.apache.arrow.memory.*;
        import org.apache.arrow.vector.*;
        import org.apache.arrow.vector.types.pojo.*;

        public class DocSnippet {
          public static void run(BufferAllocator allocator, Location location) throws Exception {
        %s
          }
        }
        """
            .formatted(m.group(1));
    Path dir = Files.createTempDirectory("doc-snippet");
    Files.writeString(dir.resolve("DocSnippet.java"), source);
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        javac.run(
            null,
            diagnostics,
            diagnostics,
            "-classpath",
            classpath,
            "-d",
            dir.toString(),
            dir.resolve("DocSnippet.java").toString());
    assertEquals(0, rc, "the doc's Java example does not compile:\n" + diagnostics);

    try (TestServer s = TestServer.start();
        URLClassLoader loader =
            new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      s.register("docs_add_one", Guests.rust("add_one"));
      Method run =
          loader.loadClass("DocSnippet").getMethod("run", BufferAllocator.class, Location.class);
      PrintStream stdout = System.out;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      try (BufferAllocator clientAllocator =
          s.allocator.newChildAllocator("doc", 0, Long.MAX_VALUE)) {
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        run.invoke(null, clientAllocator, Location.forGrpcInsecure("127.0.0.1", s.port()));
      } finally {
        System.setOut(stdout);
      }
      assertEquals(
          List.of("x", "2", "null", "42"),
          captured.toString(StandardCharsets.UTF_8).strip().lines().toList());
    }
  }
}
