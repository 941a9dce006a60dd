package io.wasmflight.server.internal.registry;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered modules, each name with one or more versions side by side and a default version
 * (flight-protocol.md, "Versions"), persisted by {@link ModuleStore} and loaded again at start.
 * Lookups are lock-free; registrations and removals are serialized so the directory and the map
 * always agree. Changing a module affects new sessions only: running sessions hold their own
 * instance.
 */
public final class ModuleRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModuleRegistry.class);
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** The highest version number (versions are 1 to this). */
  public static final int MAX_VERSION = 999_999_999;

  private final ModuleStore store;
  private final ServerConfig config;
  private final ConcurrentHashMap<String, ModuleVersions> modules = new ConcurrentHashMap<>();

  /** Native functions by {@code module/function}. */
  private final ConcurrentHashMap<String, NativeEntry> natives = new ConcurrentHashMap<>();

  /**
   * Registration outcome.
   *
   * @param created whether a new version was stored (false: these bytes were already a version)
   * @param replaced whether a new version became the default in place of another one
   */
  public record Registered(
      ModuleVersions versions, RegisteredModule module, boolean created, boolean replaced) {}

  public ModuleRegistry(ServerConfig config) {
    this.store = new ModuleStore(config.dataDir().resolve("modules"));
    this.config = config;
  }

  /**
   * Loads every persisted version, after migrating the flat layout of earlier servers ({@code
   * <name>.wasm}, loaded as version 1). A version that no longer validates or whose bytes do not
   * match its metadata is logged and skipped.
   */
  public synchronized void loadPersisted() {
    migrateLegacy();
    for (String name : store.names()) {
      TreeMap<Integer, RegisteredModule> loaded = new TreeMap<>();
      for (ModuleStore.Stored s : store.load(name)) {
        try {
          loaded.put(s.meta().version(), RegisteredModule.load(s.meta(), s.wasm(), config));
        } catch (WasmFlightException e) {
          LOG.warn("skipping persisted module {}@{}: {}", name, s.meta().version(), e.getMessage());
        }
      }
      if (loaded.isEmpty()) {
        continue;
      }
      ModuleStore.Pointer p = store.pointer(name);
      int def = p != null && loaded.containsKey(p.defaultVersion()) ? p.defaultVersion() : 0;
      if (def == 0) {
        def = loaded.lastKey();
        LOG.warn(
            "module '{}': no valid default version recorded; using the highest, {}", name, def);
      }
      int next = Math.max(p == null ? 0 : p.nextVersion(), loaded.lastKey() + 1);
      ModuleVersions mv = new ModuleVersions(name, loaded, def, next);
      modules.put(name, mv);
      LOG.info("loaded module '{}': versions {}, default {}", name, loaded.keySet(), def);
    }
  }

  /** Moves each {@code <name>.wasm} of the flat layout to version 1 of {@code name}. */
  private void migrateLegacy() {
    for (Path file : store.legacyFiles()) {
      String fileName = file.getFileName().toString();
      String name = fileName.substring(0, fileName.length() - ".wasm".length());
      if (!NAME.matcher(name).matches()) {
        continue;
      }
      try {
        byte[] wasm = Files.readAllBytes(file);
        String sha = RegisteredModule.sha256(wasm);
        List<ModuleStore.Stored> stored =
            Files.isDirectory(store.dir().resolve(name)) ? store.load(name) : List.of();
        if (stored.stream().anyMatch(x -> x.meta().sha256().equals(sha))) {
          // A migration that completed before a crash: the flat file is a leftover.
          store.deleteLegacy(file);
          continue;
        }
        if (!stored.isEmpty()) {
          LOG.warn(
              "leaving {}: module '{}' already has versions, none with these bytes (register"
                  + " the file to add it as a version)",
              file,
              name);
          continue;
        }
        VersionMeta meta =
            new VersionMeta(
                name, 1, sha, wasm.length, Files.getLastModifiedTime(file).toInstant(), "");
        RegisteredModule.load(meta, wasm, config);
        store.writeVersion(meta, wasm);
        store.writePointer(name, new ModuleStore.Pointer(1, 2));
        store.deleteLegacy(file);
        LOG.info("migrated {} to module '{}' version 1", file, name);
      } catch (WasmFlightException | IOException e) {
        LOG.warn("skipping persisted module {}: {}", file, e.getMessage());
      }
    }
  }

  /** Registers at start (--register): a new version of {@code name} unless the bytes are one. */
  public Registered register(String name, byte[] wasm) {
    return register(name, null, wasm, "");
  }

  /**
   * Validates, compiles, persists and publishes a version of a module. Bytes that are already a
   * version of {@code name} are not stored again (that version is returned, the default is
   * unchanged); otherwise the new version becomes the default.
   *
   * @param version the version number to store, or null for the next one
   * @param registeredBy who registers it (the Flight peer identity; may be empty)
   */
  public synchronized Registered register(
      String name, Integer version, byte[] wasm, String registeredBy) {
    checkName(name);
    if (version != null) {
      checkVersion(version);
    }
    if (wasm.length > config.maxModuleBytes()) {
      throw new WasmFlightException.LimitExceeded(
          "module is " + wasm.length + " bytes; the limit is " + config.maxModuleBytes());
    }
    String sha = RegisteredModule.sha256(wasm);
    ModuleVersions existing = modules.get(name);
    if (existing != null) {
      RegisteredModule same =
          version != null ? existing.version(version) : existing.withSha256(sha);
      if (same != null) {
        if (!same.sha256().equals(sha)) {
          throw new WasmFlightException.BadRequest(
              "module '"
                  + name
                  + "' already has a version "
                  + version
                  + " with other bytes"
                  + " (sha256 "
                  + same.sha256()
                  + "); a version never changes: register without"
                  + " 'version' for a new one, or unregister "
                  + name
                  + "@"
                  + version
                  + " first");
        }
        return new Registered(existing, same, false, false);
      }
    }
    int v = version != null ? version : existing == null ? 1 : existing.nextVersion();
    if (v > MAX_VERSION) {
      throw new WasmFlightException.LimitExceeded(
          "module '" + name + "' has no version number left (the highest is " + MAX_VERSION + ")");
    }
    VersionMeta meta =
        new VersionMeta(
            name,
            v,
            sha,
            wasm.length,
            Instant.now().truncatedTo(ChronoUnit.MILLIS),
            registeredBy == null ? "" : registeredBy);
    RegisteredModule module = RegisteredModule.load(meta, wasm, config);
    ModuleVersions updated =
        existing == null
            ? new ModuleVersions(name, new TreeMap<>(Map.of(v, module)), v, v + 1)
            : existing.with(module, true);
    store.writeVersion(meta, wasm);
    store.writePointer(name, updated.pointer());
    modules.put(name, updated);
    LOG.info(
        "registered module '{}' version {} ({} bytes, sha256 {}, by '{}')",
        name,
        v,
        wasm.length,
        sha,
        meta.registeredBy());
    return new Registered(updated, module, true, existing != null);
  }

  /**
   * Removes one version, or with {@code version} null every version of a module; sessions already
   * running keep their instance. Removing the default version makes the highest remaining one the
   * default.
   *
   * @return the removed versions
   */
  public synchronized List<RegisteredModule> unregister(String name, Integer version) {
    ModuleVersions mv = versions(name);
    if (version == null) {
      for (int v : mv.versions().keySet()) {
        store.deleteVersion(name, v);
      }
      store.deleteModule(name);
      modules.remove(name);
      LOG.info("unregistered module '{}' (all versions)", name);
      return List.copyOf(mv.versions().values());
    }
    RegisteredModule removed = version(mv, version);
    ModuleVersions rest = mv.without(version);
    if (rest.versions().isEmpty()) {
      store.deleteVersion(name, version);
      store.deleteModule(name);
      modules.remove(name);
    } else {
      // The pointer first: it never names a version that is gone.
      store.writePointer(name, rest.pointer());
      store.deleteVersion(name, version);
      modules.put(name, rest);
    }
    LOG.info("unregistered module '{}' version {}", name, version);
    return List.of(removed);
  }

  /** Makes {@code version} the default of {@code name} (a rollback, or forward again). */
  public synchronized ModuleVersions setDefault(String name, int version) {
    ModuleVersions mv = versions(name);
    version(mv, version);
    ModuleVersions updated = mv.withDefault(version);
    store.writePointer(name, updated.pointer());
    modules.put(name, updated);
    LOG.info("module '{}': default version is now {}", name, version);
    return updated;
  }

  /** Adds a Java map reachable as {@code module/function} (not persisted, not listed). */
  public void registerNative(String module, String function, NativeFunction f) {
    checkName(module);
    natives.put(module + "/" + function, NativeEntry.ofMap(f));
  }

  /** Adds a Java function of any kind reachable as {@code module/function}. */
  public void registerNative(String module, String function, NativeKernel.Factory f) {
    checkName(module);
    natives.put(module + "/" + function, NativeEntry.ofKernel(f));
  }

  /** The native function at {@code module/function}, or null. */
  public NativeEntry nativeEntry(String module, String function) {
    return natives.get(module + "/" + function);
  }

  /** The default version of {@code name}. */
  public RegisteredModule get(String name) {
    return versions(name).defaultModule();
  }

  /**
   * The version a caller asks for: {@code version}, else the default; with {@code sha256} given,
   * only if that version has those bytes.
   */
  public RegisteredModule get(String name, Integer version, String sha256) {
    ModuleVersions mv = versions(name);
    RegisteredModule m = version == null ? mv.defaultModule() : version(mv, version);
    if (sha256 != null && !m.sha256().equals(sha256)) {
      RegisteredModule other = mv.withSha256(sha256);
      throw new WasmFlightException.BadRequest(
          "sha256 pin does not match: module '"
              + name
              + "' version "
              + m.version()
              + (version == null ? " (the default)" : "")
              + " has sha256 "
              + m.sha256()
              + ", the descriptor pins "
              + sha256
              + (other == null
                  ? "; no version of '" + name + "' has those bytes"
                  : "; version " + other.version() + " has those bytes"));
    }
    return m;
  }

  /** Every version of {@code name}. */
  public ModuleVersions versions(String name) {
    ModuleVersions mv = modules.get(name);
    if (mv == null) {
      throw notFound(name);
    }
    return mv;
  }

  /** Every module, sorted by name. */
  public List<ModuleVersions> list() {
    List<ModuleVersions> all = new ArrayList<>(modules.values());
    all.sort(Comparator.comparing(ModuleVersions::name));
    return all;
  }

  private static RegisteredModule version(ModuleVersions mv, int version) {
    RegisteredModule m = mv.version(version);
    if (m == null) {
      throw new WasmFlightException.NotFound(
          "module '"
              + mv.name()
              + "' has no version "
              + version
              + "; it has: "
              + String.join(", ", mv.versions().keySet().stream().map(String::valueOf).toList()));
    }
    return m;
  }

  private WasmFlightException notFound(String name) {
    return new WasmFlightException.NotFound("no module named '" + name + "' is registered");
  }

  /** A version number from a request: 1 to {@link #MAX_VERSION}. */
  public static void checkVersion(long version) {
    if (version < 1 || version > MAX_VERSION) {
      throw new WasmFlightException.BadRequest(
          "invalid version " + version + ": versions are integers from 1 to " + MAX_VERSION);
    }
  }

  /** A sha256 pin from a request, lower-cased: 64 hexadecimal digits. */
  public static String checkSha256(String sha256) {
    String s = sha256.toLowerCase(Locale.ROOT);
    if (!SHA256.matcher(s).matches()) {
      throw new WasmFlightException.BadRequest(
          "invalid sha256 '" + sha256 + "': expected 64 hexadecimal digits");
    }
    return s;
  }

  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new WasmFlightException.BadRequest(
          "invalid module name '"
              + name
              + "': use 1-64 characters from A-Z a-z 0-9 _ - (not starting with -)");
    }
  }
}
