package io.wasmflight.integration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Certificates made for one test run with the JDK's own {@code keytool}: a CA, a server certificate
 * for 127.0.0.1/localhost and a client certificate, both signed by the CA, each with its PKCS#8 PEM
 * private key. Nothing is checked in and no verification is turned off: clients trust exactly this
 * CA.
 */
record TestCertificates(
    Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {
  private static final String PASS = "test-only";

  static TestCertificates generate(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ca = dir.resolve("ca.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=wasm-flight test CA",
        "-ext",
        "bc:c",
        "-keystore",
        ca.toString());
    Path caPem = dir.resolve("ca.pem");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-file",
        caPem.toString());
    Path[] server =
        leaf(dir, "server", "CN=localhost", "serverAuth", "san=ip:127.0.0.1,dns:localhost", ca);
    Path[] client = leaf(dir, "client", "CN=wasm-flight test client", "clientAuth", null, ca);
    return new TestCertificates(caPem, server[0], server[1], client[0], client[1]);
  }

  /** A key pair signed by the CA: {cert.pem, key.pem}. */
  private static Path[] leaf(Path dir, String name, String dname, String eku, String san, Path ca)
      throws IOException, InterruptedException {
    Path store = dir.resolve(name + ".p12");
    keytool(
        "-genkeypair",
        "-alias",
        name,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        dname,
        "-keystore",
        store.toString());
    Path csr = dir.resolve(name + ".csr");
    keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
    Path cert = dir.resolve(name + ".pem");
    List<String> gen =
        new ArrayList<>(
            List.of(
                "-gencert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-infile",
                csr.toString(),
                "-outfile",
                cert.toString(),
                "-validity",
                "2",
                "-ext",
                "eku=" + eku));
    if (san != null) {
      gen.addAll(List.of("-ext", san));
    }
    keytool(gen.toArray(String[]::new));
    Path key = dir.resolve(name + ".key");
    Files.writeString(key, pkcs8Pem(store, name), StandardCharsets.US_ASCII);
    return new Path[] {cert, key};
  }

  private static String pkcs8Pem(Path store, String alias) throws IOException {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASS.toCharArray());
      Key key = ks.getKey(alias, PASS.toCharArray());
      String b64 =
          Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(key.getEncoded());
      return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-storepass", PASS, "-storetype", "PKCS12", "-noprompt"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
    }
  }
}
