package io.wasmflight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** register, list, describe, unregister against a real server: outputs and exit codes. */
class ClientCommandsTest {
  @Test
  void registerListDescribeUnregister() throws Exception {
    try (CliRun s = CliRun.start()) {
      CliRun.Result reg = s.cli("register", "adder", CliRun.example("add_one").toString());
      assertEquals(0, reg.exitCode(), reg.toString());
      assertTrue(reg.out().contains("registered module 'adder'"), reg.toString());
      assertTrue(reg.out().contains("add_one (map)"), reg.toString());
      assertTrue(reg.err().contains("uploaded"), reg.toString());

      CliRun.Result again =
          s.cli("register", "adder", CliRun.example("add_one").toString(), "--quiet");
      assertEquals(0, again.exitCode(), again.toString());
      assertEquals("", again.err());

      CliRun.Result replaced =
          s.cli("register", "adder", CliRun.example("upper").toString(), "--json");
      assertEquals(0, replaced.exitCode(), replaced.toString());
      JsonNode json = FlightCalls.JSON.readTree(replaced.out());
      assertTrue(json.path("replaced").asBoolean(), replaced.toString());
      assertEquals("upper", json.path("functions").get(0).path("name").asText());

      CliRun.Result list = s.cli("list");
      assertEquals(0, list.exitCode(), list.toString());
      assertTrue(list.out().startsWith("adder "), list.toString());
      assertTrue(list.out().contains("upper (map)"), list.toString());
      CliRun.Result listJson = s.cli("list", "--json");
      assertEquals(1, FlightCalls.JSON.readTree(listJson.out()).size(), listJson.toString());

      CliRun.Result describe = s.cli("describe", "adder");
      assertEquals(0, describe.exitCode(), describe.toString());
      assertTrue(describe.out().contains("module      adder"), describe.toString());
      assertTrue(describe.out().contains("  upper  map"), describe.toString());

      CliRun.Result unregister = s.cli("unregister", "adder");
      assertEquals(0, unregister.exitCode(), unregister.toString());
      assertEquals("unregistered module 'adder'\n", unregister.out());
      assertEquals("", s.cli("list").out());
    }
  }

  @Test
  void failuresHaveTheirExitCodes() throws Exception {
    try (CliRun s = CliRun.start()) {
      CliRun.Result missing = s.cli("describe", "nope");
      assertEquals(3, missing.exitCode(), missing.toString());
      assertTrue(missing.err().contains("no module named 'nope'"), missing.toString());
      assertEquals(3, s.cli("unregister", "nope").exitCode());
      assertEquals(3, s.cli("register", "x", "/no/such/file.wasm").exitCode());

      Path notWasm = Files.createTempFile("not", ".wasm");
      Files.writeString(notWasm, "hello");
      CliRun.Result rejected = s.cli("register", "bad", notWasm.toString());
      assertEquals(4, rejected.exitCode(), rejected.toString());
      assertTrue(rejected.err().contains("module rejected"), rejected.toString());

      CliRun.Result badName = s.cli("register", "no spaces", CliRun.example("add_one").toString());
      assertEquals(2, badName.exitCode(), badName.toString());

      assertEquals(2, s.cli("describe").exitCode(), "missing NAME is a usage error");
      assertEquals(2, s.cli("list", "--no-such-option").exitCode());
      assertEquals(2, CliRun.run("list", "--server", "http://x:1").exitCode());
      assertEquals(2, CliRun.run().exitCode(), "no subcommand");
    }
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    CliRun.Result down = CliRun.run("list", "--server", "grpc://127.0.0.1:" + closed);
    assertEquals(7, down.exitCode(), down.toString());
    assertTrue(down.err().contains("server unavailable"), down.toString());
  }
}
