package io.wasmflight.server.internal.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's users file: one principal per line, {@code user NAME GRANTS SECRET} (password
 * login, {@code SECRET = pbkdf2-sha256$…}) or {@code token NAME GRANTS SECRET} (an API token sent
 * as a bearer token, {@code SECRET = sha256$…}); {@code GRANTS} is a comma-separated list of {@code
 * admin}, {@code caller}, {@code admin@prefix}, {@code caller@prefix}. {@code #} starts a comment.
 * Secrets are only ever stored hashed ({@code wasm-flight hash-secret} makes them).
 *
 * <p>The file is checked for changes (modification time and size) at every lookup and re-read when
 * it changed, so edits apply without a restart. A change that does not parse is logged and the
 * previous content stays in force.
 */
public final class UsersFile {
  private static final Logger LOG = LoggerFactory.getLogger(UsersFile.class);
  private static final String NAME = "[A-Za-z0-9_.@-]{1,64}";

  private record Entry(Principal principal, boolean isToken, String secret) {}

  private record Content(Object stamp, Map<String, Entry> byName, Map<String, Entry> byTokenHash) {}

  private final Path path;
  private volatile Content content;

  private UsersFile(Path path, Content content) {
    this.path = path;
    this.content = content;
  }

  /** Reads the file; a missing or malformed file is an {@link IllegalArgumentException}. */
  public static UsersFile load(Path path) {
    try {
      return new UsersFile(path, read(path, stamp(path)));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read users file " + path + ": " + e, e);
    }
  }

  public Path path() {
    return path;
  }

  /** How many principals the file holds now. */
  public int size() {
    return current().byName().size();
  }

  /** The user with this name and password, or null. */
  public Principal login(String name, String password) {
    Entry e = current().byName().get(name);
    if (e == null || e.isToken() || !SecretHash.matches(password, e.secret())) {
      return null;
    }
    return e.principal();
  }

  /** The principal of an API token, or null. */
  public Principal byToken(String token) {
    Entry e = current().byTokenHash().get(SecretHash.hashToken(token));
    return e == null ? null : e.principal();
  }

  /** The principal with this name as the file says now, or null when it was removed. */
  public Principal byName(String name) {
    Entry e = current().byName().get(name);
    return e == null ? null : e.principal();
  }

  private Content current() {
    Content c = content;
    Object now;
    try {
      now = stamp(path);
    } catch (IOException e) {
      LOG.error("cannot stat users file {}: {}; keeping its previous content", path, e.toString());
      return c;
    }
    if (now.equals(c.stamp())) {
      return c;
    }
    synchronized (this) {
      c = content;
      if (now.equals(c.stamp())) {
        return c;
      }
      try {
        Content fresh = read(path, now);
        content = fresh;
        LOG.info("users file {} reloaded: {} principals", path, fresh.byName().size());
        return fresh;
      } catch (IOException | IllegalArgumentException e) {
        LOG.error(
            "users file {} changed but cannot be used ({}); keeping its previous content",
            path,
            e.getMessage());
        content = new Content(now, c.byName(), c.byTokenHash());
        return content;
      }
    }
  }

  private static Object stamp(Path path) throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
    return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
  }

  private static Content read(Path path, Object stamp) throws IOException {
    Map<String, Entry> byName = new HashMap<>();
    Map<String, Entry> byToken = new HashMap<>();
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Entry e;
      try {
        e = parse(line);
      } catch (IllegalArgumentException x) {
        throw new IllegalArgumentException(path + " line " + (i + 1) + ": " + x.getMessage(), x);
      }
      if (byName.put(e.principal().name(), e) != null) {
        throw new IllegalArgumentException(
            path + " line " + (i + 1) + ": '" + e.principal().name() + "' appears twice");
      }
      if (e.isToken()) {
        byToken.put(e.secret(), e);
      }
    }
    return new Content(stamp, Map.copyOf(byName), Map.copyOf(byToken));
  }

  private static Entry parse(String line) {
    String[] f = line.split("\\s+", -1);
    if (f.length != 4 || !(f[0].equals("user") || f[0].equals("token"))) {
      throw new IllegalArgumentException(
          "expected 'user NAME GRANTS pbkdf2-sha256$…' or 'token NAME GRANTS sha256$…'");
    }
    boolean token = f[0].equals("token");
    if (!f[1].matches(NAME)) {
      throw new IllegalArgumentException(
          "name '" + f[1] + "' must be 1-64 characters from A-Z a-z 0-9 _ . @ -");
    }
    List<Grant> grants = new ArrayList<>();
    for (String g : f[2].split(",", -1)) {
      grants.add(Grant.parse(g));
    }
    String problem = SecretHash.checkFormat(f[3]);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (token != f[3].startsWith("sha256$")) {
      throw new IllegalArgumentException(
          token
              ? "a token's secret is sha256$… (wasm-flight hash-secret --token)"
              : "a user's secret is pbkdf2-sha256$… (wasm-flight hash-secret)");
    }
    return new Entry(new Principal(f[1], grants), token, f[3]);
  }
}
