package io.wasmflight.integration;

import static io.wasmflight.integration.Assertions2.assertFlightError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.wasmflight.server.HashSecret;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS, mutual TLS, the users file (password login over Flight's basic-auth handshake, API tokens,
 * reload without restart) and the roles, with Arrow Java's stock client and certificates made for
 * this run (no verification turned off anywhere).
 */
class SecurityTest {
  static final String ADMIN_PASSWORD = "correct horse battery staple";
  static final String CALLER_TOKEN = HashSecret.newToken();
  static final String TEAM_TOKEN = HashSecret.newToken();

  static Path dir;
  static TestCertificates certs;
  static Path users;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("wasm-flight-security");
    certs = TestCertificates.generate(dir.resolve("certs"));
    users = dir.resolve("users");
    writeUsers(
        "# test users\n"
            + "user alice admin "
            + HashSecret.hashPassword(ADMIN_PASSWORD.toCharArray())
            + "\n"
            + "token ci caller "
            + HashSecret.hashToken(CALLER_TOKEN)
            + "\n"
            + "token team caller@team- "
            + HashSecret.hashToken(TEAM_TOKEN)
            + "\n");
    server =
        TestServer.start(
            c -> c.withTls(certs.serverCert(), certs.serverKey()).withUsersFile(users));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static void writeUsers(String content) throws IOException {
    Path tmp = users.resolveSibling("users.tmp");
    Files.writeString(tmp, content);
    Files.move(
        tmp,
        users,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static FlightClient tlsClient(RootAllocator a, boolean clientCert) throws IOException {
    try (InputStream ca = Files.newInputStream(certs.caCert())) {
      FlightClient.Builder b =
          FlightClient.builder(a, Location.forGrpcTls("127.0.0.1", server.port()))
              .trustedCertificates(ca);
      if (clientCert) {
        b.clientCertificate(
            Files.newInputStream(certs.clientCert()), Files.newInputStream(certs.clientKey()));
      }
      return b.build();
    }
  }

  static CallOption bearer(String token) {
    return new CredentialCallOption(new BearerCredentialWriter(token));
  }

  static JsonNode action(FlightClient c, String type, String body, CallOption... options)
      throws IOException {
    Iterator<Result> it =
        c.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), options);
    JsonNode out = null;
    while (it.hasNext()) {
      out = TestServer.JSON.readTree(it.next().getBody());
    }
    return out;
  }

  static String registerBody(String name) throws IOException {
    return TestServer.JSON.writeValueAsString(
        Map.of("name", name, "wasm", Base64.getEncoder().encodeToString(Guests.rust("add_one"))));
  }

  static List<Long> addOne(FlightClient c, String module, CallOption... options) {
    try (VectorSchemaRoot root =
            VectorSchemaRoot.create(ExamplesExchangeTest.INT64, server.allocator);
        FlightClient.ExchangeReaderWriter rw =
            c.doExchange(FlightDescriptor.path(module, "add_one"), options)) {
      BigIntVector x = (BigIntVector) root.getVector(0);
      x.allocateNew(2);
      x.set(0, 1);
      x.set(1, 41);
      root.setRowCount(2);
      rw.getWriter().start(root);
      rw.getWriter().putNext();
      rw.getWriter().completed();
      FlightStream out = rw.getReader();
      List<Long> got = new ArrayList<>();
      while (out.next()) {
        BigIntVector y = (BigIntVector) out.getRoot().getVector(0);
        for (int i = 0; i < out.getRoot().getRowCount(); i++) {
          got.add(y.get(i));
        }
      }
      return got;
    } catch (FlightRuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void basicLoginOverTlsGivesABearerTokenThatRegisters() throws Exception {
    try (RootAllocator a = new RootAllocator();
        FlightClient c = tlsClient(a, false)) {
      CallOption token = c.authenticateBasicToken("alice", ADMIN_PASSWORD).orElseThrow();
      JsonNode m = action(c, "register", registerBody("sec_add_one"), token);
      assertEquals("add_one", m.get("functions").get(0).get("name").asText());
      assertEquals(List.of(2L, 42L), addOne(c, "sec_add_one", token));
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED,
          () -> c.authenticateBasicToken("alice", "wrong"),
          "unauthenticated: wrong user name or password");
    }
  }

  @Test
  void noCredentialsIsUnauthenticatedOnEveryCall() throws Exception {
    try (RootAllocator a = new RootAllocator();
        FlightClient c = tlsClient(a, false)) {
      String how = "send 'authorization: Bearer <token>' or log in with basic auth";
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED,
          () -> action(c, "list", ""),
          "requires authentication",
          how);
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED,
          () -> c.listFlights(Criteria.ALL).iterator().hasNext(),
          how);
      assertFlightError(FlightStatusCode.UNAUTHENTICATED, () -> addOne(c, "sec_add_one"), how);
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED,
          () -> action(c, "list", "", bearer("not-a-token")),
          "unknown or expired bearer token");
    }
  }

  @Test
  void aCallerTokenCallsButMayNotRegisterUnregisterOrSetTheDefault() throws Exception {
    try (RootAllocator a = new RootAllocator();
        FlightClient c = tlsClient(a, false)) {
      CallOption admin = c.authenticateBasicToken("alice", ADMIN_PASSWORD).orElseThrow();
      action(c, "register", registerBody("sec_caller"), admin);
      CallOption caller = bearer(CALLER_TOKEN);
      assertTrue(action(c, "list", "", caller).toString().contains("sec_caller"));
      assertEquals(List.of(2L, 42L), addOne(c, "sec_caller", caller));
      assertFlightError(
          FlightStatusCode.UNAUTHORIZED,
          () -> action(c, "register", registerBody("sec_other"), caller),
          "unauthorized: action 'register' needs role 'admin'",
          "principal 'ci' has 'caller'");
      assertFlightError(
          FlightStatusCode.UNAUTHORIZED,
          () -> action(c, "unregister", "{\"name\":\"sec_caller\"}", caller),
          "action 'unregister' needs role 'admin'");
      assertFlightError(
          FlightStatusCode.UNAUTHORIZED,
          () -> action(c, "set-default", "{\"name\":\"sec_caller\",\"version\":1}", caller),
          "action 'set-default' needs role 'admin'");
      // The admin may: version 1 is the default already, and stays it.
      assertTrue(
          action(c, "set-default", "{\"name\":\"sec_caller\",\"version\":1}", admin)
              .toString()
              .contains("sec_caller"));
    }
  }

  @Test
  void aPrefixGrantReachesOnlyItsModules() throws Exception {
    try (RootAllocator a = new RootAllocator();
        FlightClient c = tlsClient(a, false)) {
      CallOption admin = c.authenticateBasicToken("alice", ADMIN_PASSWORD).orElseThrow();
      action(c, "register", registerBody("team-add"), admin);
      action(c, "register", registerBody("sec_private"), admin);
      CallOption team = bearer(TEAM_TOKEN);
      assertEquals(List.of(2L, 42L), addOne(c, "team-add", team));
      String listed = action(c, "list", "", team).toString();
      assertTrue(listed.contains("team-add") && !listed.contains("sec_private"), listed);
      assertFlightError(
          FlightStatusCode.UNAUTHORIZED,
          () -> addOne(c, "sec_private", team),
          "DoExchange needs role 'caller' for module 'sec_private' (or 'admin'); principal "
              + "'team' has 'caller@team-'");
      assertFlightError(
          FlightStatusCode.UNAUTHORIZED,
          () -> c.getInfo(FlightDescriptor.path("sec_private", "add_one"), team),
          "GetFlightInfo needs role 'caller' for module 'sec_private'");
    }
  }

  @Test
  void theUsersFileIsReloadedWithoutRestart() throws Exception {
    String before = Files.readString(users);
    String extra = HashSecret.newToken();
    try (RootAllocator a = new RootAllocator();
        FlightClient c = tlsClient(a, false)) {
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED, () -> action(c, "list", "", bearer(extra)));
      writeUsers(before + "token extra caller " + HashSecret.hashToken(extra) + "\n");
      action(c, "list", "", bearer(extra));
      writeUsers(before.replaceAll("(?m)^token ci .*\\n", ""));
      assertFlightError(
          FlightStatusCode.UNAUTHENTICATED, () -> action(c, "list", "", bearer(CALLER_TOKEN)));
      writeUsers("this line does not parse\n");
      action(c, "list", "", bearer(TEAM_TOKEN)); // a broken edit keeps the previous content
    } finally {
      writeUsers(before);
    }
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificate() throws Exception {
    try (TestServer mtls =
            TestServer.start(
                c ->
                    c.withTls(certs.serverCert(), certs.serverKey())
                        .withTlsClientCa(certs.caCert())
                        .withUsersFile(users));
        RootAllocator a = new RootAllocator()) {
      try (InputStream ca = Files.newInputStream(certs.caCert());
          InputStream cert = Files.newInputStream(certs.clientCert());
          InputStream key = Files.newInputStream(certs.clientKey());
          FlightClient c =
              FlightClient.builder(a, Location.forGrpcTls("127.0.0.1", mtls.port()))
                  .trustedCertificates(ca)
                  .clientCertificate(cert, key)
                  .build()) {
        action(c, "list", "", bearer(CALLER_TOKEN));
      }
      try (InputStream ca = Files.newInputStream(certs.caCert());
          FlightClient c =
              FlightClient.builder(a, Location.forGrpcTls("127.0.0.1", mtls.port()))
                  .trustedCertificates(ca)
                  .build()) {
        FlightRuntimeException e =
            assertThrows(
                FlightRuntimeException.class, () -> action(c, "list", "", bearer(CALLER_TOKEN)));
        assertEquals(FlightStatusCode.UNAVAILABLE, e.status().code(), e.getMessage());
      }
    }
  }

  @Test
  void aPlaintextClientCannotTalkToTheTlsPort() throws Exception {
    try (RootAllocator a = new RootAllocator();
        FlightClient c =
            FlightClient.builder(a, Location.forGrpcInsecure("127.0.0.1", server.port())).build()) {
      FlightRuntimeException e =
          assertThrows(
              FlightRuntimeException.class, () -> action(c, "list", "", bearer(CALLER_TOKEN)));
      assertEquals(FlightStatusCode.UNAVAILABLE, e.status().code(), e.getMessage());
    }
  }

  @Test
  void plaintextAndAnonymousNeedLoopbackOrAnExplicitFlag() throws Exception {
    Path data = Files.createTempDirectory("wasm-flight-bind");
    ServerConfig open = ServerConfig.defaults().withHost("0.0.0.0").withPort(0).withDataDir(data);
    try (RootAllocator a = new RootAllocator()) {
      IllegalArgumentException plain =
          assertThrows(IllegalArgumentException.class, () -> WasmFlightServer.start(open, a));
      assertTrue(plain.getMessage().contains("--allow-plaintext"), plain.getMessage());
      IllegalArgumentException anon =
          assertThrows(
              IllegalArgumentException.class,
              () -> WasmFlightServer.start(open.withAllowPlaintext(true), a));
      assertTrue(anon.getMessage().contains("--allow-anonymous"), anon.getMessage());
      try (WasmFlightServer s =
          WasmFlightServer.start(open.withAllowPlaintext(true).withAllowAnonymous(true), a)) {
        assertTrue(
            s.securityMode().startsWith("PLAINTEXT gRPC on a non-loopback"), s.securityMode());
      }
    }
    assertTrue(server.wasm().securityMode().contains("TLS (certificate"));
  }

  @Test
  void deployingJavaExampleRunsAsDocumented() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String deploying = readme.substring(readme.indexOf("## Deploying"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("```java\\n(.*?)```", java.util.regex.Pattern.DOTALL)
            .matcher(deploying.substring(0, deploying.indexOf("\n## ", 5)));
    assertTrue(m.find(), "no java block in README's Deploying section");
    String source =
        """
        import java.io.*;
        import java.nio.file.*;
        import java.util.*;
        import org.apache.arrow.flight.*;
        import org.apache.arrow.flight.auth2.*;
        import org.apache.arrow.flight.grpc.*;
        import org.apache.arrow.memory.*;

        public class DeployingSnippet {
          public static void run(BufferAllocator allocator, Path caPem, int port, String password,
              String token) throws Exception {
        %s
          }
        }
        """
            .formatted(m.group(1));
    Path src = Files.createTempDirectory("deploying-snippet");
    Files.writeString(src.resolve("DeployingSnippet.java"), source);
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    java.io.ByteArrayOutputStream diagnostics = new java.io.ByteArrayOutputStream();
    int rc =
        javax.tools.ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                diagnostics,
                diagnostics,
                "-classpath",
                classpath,
                "-d",
                src.toString(),
                src.resolve("DeployingSnippet.java").toString());
    assertEquals(0, rc, "README's Deploying Java example does not compile:\n" + diagnostics);
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    try (java.net.URLClassLoader loader =
            new java.net.URLClassLoader(
                new java.net.URL[] {src.toUri().toURL()}, getClass().getClassLoader());
        RootAllocator a = new RootAllocator()) {
      java.lang.reflect.Method run =
          loader
              .loadClass("DeployingSnippet")
              .getMethod(
                  "run",
                  org.apache.arrow.memory.BufferAllocator.class,
                  Path.class,
                  int.class,
                  String.class,
                  String.class);
      System.setOut(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
      run.invoke(null, a, certs.caCert(), server.port(), ADMIN_PASSWORD, CALLER_TOKEN);
    } finally {
      System.setOut(stdout);
    }
    assertEquals(
        List.of("listed", "UNAUTHORIZED"),
        captured.toString(StandardCharsets.UTF_8).strip().lines().toList());
  }
}
