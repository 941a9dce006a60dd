package io.wasmflight.server.internal.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.internal.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry on disk (flight-protocol.md, "Persistence"): per module a directory {@code
 * <modules>/<name>/} with {@code <version>.wasm}, {@code <version>.json} (the metadata) and {@code
 * default.json} (the default version and the next version number). Every file is written to a
 * temporary file, fsynced and renamed atomically, then the directory is fsynced. The metadata file
 * is the commit point of a version: a version exists iff its {@code .json} exists; a {@code .wasm}
 * without one is what a crash in the middle of a register leaves, and is removed at start.
 */
final class ModuleStore {
  private static final Logger LOG = LoggerFactory.getLogger(ModuleStore.class);
  private static final String TMP_SUFFIX = ".tmp";
  private static final String DEFAULT_FILE = "default.json";
  private static final Pattern VERSION_FILE = Pattern.compile("([1-9][0-9]{0,8})\\.(wasm|json)");

  private final Path dir;

  /** One persisted version as read back at start: its metadata and its bytes. */
  static final class Stored {
    private final VersionMeta meta;
    private final byte[] wasm;

    Stored(VersionMeta meta, byte[] wasm) {
      this.meta = meta;
      this.wasm = wasm;
    }

    VersionMeta meta() {
      return meta;
    }

    byte[] wasm() {
      return wasm;
    }
  }

  /** The default pointer: the default version (0 when unknown) and the next version to assign. */
  record Pointer(int defaultVersion, int nextVersion) {}

  ModuleStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create module directory " + dir, e);
    }
  }

  Path dir() {
    return dir;
  }

  /** The flat files of the layout before versions ({@code <modules>/<name>.wasm}). */
  List<Path> legacyFiles() {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.wasm")) {
      for (Path f : files) {
        if (Files.isRegularFile(f)) {
          out.add(f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module directory " + dir, e);
    }
    out.sort(null);
    return out;
  }

  /** The names that have a module directory. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String n = e.getFileName().toString();
        if (Files.isDirectory(e) && ModuleRegistry.NAME.matcher(n).matches()) {
          out.add(n);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module directory " + dir, e);
    }
    out.sort(null);
    return out;
  }

  /**
   * Reads every committed version of {@code name}, removing what interrupted writes left (temporary
   * files, a {@code .wasm} without metadata). A version whose bytes do not match its metadata is
   * logged and skipped, its files left for inspection.
   */
  List<Stored> load(String name) {
    Path moduleDir = dir.resolve(name);
    List<Integer> committed = new ArrayList<>();
    List<Integer> wasmOnly = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(moduleDir)) {
      for (Path f : files) {
        String fn = f.getFileName().toString();
        if (fn.endsWith(TMP_SUFFIX)) {
          LOG.info("removing {} (left by an interrupted write)", f);
          Files.deleteIfExists(f);
          continue;
        }
        var m = VERSION_FILE.matcher(fn);
        if (!m.matches()) {
          continue;
        }
        int v = Integer.parseInt(m.group(1));
        (m.group(2).equals("json") ? committed : wasmOnly).add(v);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module directory " + moduleDir, e);
    }
    wasmOnly.removeAll(committed);
    for (int v : wasmOnly) {
      Path f = moduleDir.resolve(v + ".wasm");
      LOG.info("removing {}: its register did not complete (no metadata)", f);
      delete(f);
    }
    committed.sort(null);
    List<Stored> out = new ArrayList<>();
    for (int v : committed) {
      Path metaFile = moduleDir.resolve(v + ".json");
      Path wasmFile = moduleDir.resolve(v + ".wasm");
      try {
        VersionMeta meta = VersionMeta.fromJson(Json.MAPPER.readTree(Files.readAllBytes(metaFile)));
        if (!meta.name().equals(name) || meta.version() != v) {
          LOG.warn("skipping {}: it describes {}@{}", metaFile, meta.name(), meta.version());
          continue;
        }
        if (!Files.exists(wasmFile)) {
          LOG.warn("skipping {}@{}: {} is missing", name, v, wasmFile);
          continue;
        }
        byte[] wasm = Files.readAllBytes(wasmFile);
        String sha = RegisteredModule.sha256(wasm);
        if (wasm.length != meta.sizeBytes() || !sha.equals(meta.sha256())) {
          LOG.warn(
              "skipping {}@{}: {} has {} bytes with sha256 {}, the metadata says {} bytes with"
                  + " sha256 {}",
              name,
              v,
              wasmFile,
              wasm.length,
              sha,
              meta.sizeBytes(),
              meta.sha256());
          continue;
        }
        out.add(new Stored(meta, wasm));
      } catch (IOException | IllegalArgumentException e) {
        LOG.warn("skipping {}@{}: unreadable metadata {}: {}", name, v, metaFile, e.getMessage());
      }
    }
    return out;
  }

  /** The default pointer of {@code name}, or null when absent or unreadable. */
  Pointer pointer(String name) {
    Path f = dir.resolve(name).resolve(DEFAULT_FILE);
    if (!Files.exists(f)) {
      return null;
    }
    try {
      JsonNode n = Json.MAPPER.readTree(Files.readAllBytes(f));
      return new Pointer(n.path("default").asInt(0), n.path("next").asInt(0));
    } catch (IOException e) {
      LOG.warn("ignoring unreadable {}: {}", f, e.getMessage());
      return null;
    }
  }

  /** Persists one version: the bytes, then the metadata (the commit point). */
  void writeVersion(VersionMeta meta, byte[] wasm) {
    Path moduleDir = dir.resolve(meta.name());
    try {
      Files.createDirectories(moduleDir);
      fsyncDirectory(dir);
      writeAtomically(moduleDir.resolve(meta.version() + ".wasm"), wasm);
      writeAtomically(moduleDir.resolve(meta.version() + ".json"), Json.bytes(meta.toJson()));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot persist module '" + meta.name() + "@" + meta.version() + "'", e);
    }
  }

  void writePointer(String name, Pointer p) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("default", p.defaultVersion());
    o.put("next", p.nextVersion());
    try {
      writeAtomically(dir.resolve(name).resolve(DEFAULT_FILE), Json.bytes(o));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist the default version of '" + name + "'", e);
    }
  }

  /** Removes one version: the metadata first, so that a crash leaves it absent, not half there. */
  void deleteVersion(String name, int version) {
    Path moduleDir = dir.resolve(name);
    delete(moduleDir.resolve(version + ".json"));
    fsyncDirectory(moduleDir);
    delete(moduleDir.resolve(version + ".wasm"));
  }

  /** Removes a module's directory once its versions are deleted. */
  void deleteModule(String name) {
    Path moduleDir = dir.resolve(name);
    delete(moduleDir.resolve(DEFAULT_FILE));
    try (DirectoryStream<Path> rest = Files.newDirectoryStream(moduleDir)) {
      if (rest.iterator().hasNext()) {
        LOG.warn("leaving {}: it holds files other than module versions", moduleDir);
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + moduleDir, e);
    }
    delete(moduleDir);
    fsyncDirectory(dir);
  }

  void deleteLegacy(Path file) {
    delete(file);
    fsyncDirectory(dir);
  }

  private static void delete(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + f, e);
    }
  }

  /** Temporary file in the same directory, fsync, atomic rename, fsync of the directory. */
  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path parent = target.getParent();
    Path tmp = Files.createTempFile(parent, target.getFileName() + ".", TMP_SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      fsyncDirectory(parent);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void fsyncDirectory(Path d) {
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for fsync; the rename is atomic nonetheless.
      LOG.debug("cannot fsync directory {}: {}", d, e.getMessage());
    }
  }
}
