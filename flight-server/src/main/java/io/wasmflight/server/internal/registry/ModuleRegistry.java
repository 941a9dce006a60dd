package io.wasmflight.server.internal.registry;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered modules, persisted as {@code <dataDir>/modules/<name>.wasm} and loaded again at
 * start. Lookups are lock-free; registrations and removals are serialized so the directory and the
 * map always agree. Replacing a module affects new sessions only: running sessions hold their own
 * instance.
 */
public final class ModuleRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModuleRegistry.class);
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}");

  private final Path dir;
  private final ServerConfig config;
  private final ConcurrentHashMap<String, RegisteredModule> modules = new ConcurrentHashMap<>();

  /** Native functions by {@code module/function}. */
  private final ConcurrentHashMap<String, NativeEntry> natives = new ConcurrentHashMap<>();

  /** Registration outcome. */
  public record Registered(RegisteredModule module, boolean replaced) {}

  public ModuleRegistry(ServerConfig config) {
    this.dir = config.dataDir().resolve("modules");
    this.config = config;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create module directory " + dir, e);
    }
  }

  /** Loads every persisted module; a module that no longer validates is logged and skipped. */
  public synchronized void loadPersisted() {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.wasm")) {
      for (Path file : files) {
        String fileName = file.getFileName().toString();
        String name = fileName.substring(0, fileName.length() - ".wasm".length());
        if (!NAME.matcher(name).matches()) {
          continue;
        }
        try {
          modules.put(name, RegisteredModule.load(name, Files.readAllBytes(file), config));
          LOG.info("loaded module '{}' from {}", name, file);
        } catch (WasmFlightException e) {
          LOG.warn("skipping persisted module {}: {}", file, e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read module directory " + dir, e);
    }
  }

  /** Validates, compiles, persists and publishes a module. */
  public synchronized Registered register(String name, byte[] wasm) {
    checkName(name);
    if (wasm.length > config.maxModuleBytes()) {
      throw new WasmFlightException.LimitExceeded(
          "module is " + wasm.length + " bytes; the limit is " + config.maxModuleBytes());
    }
    RegisteredModule existing = modules.get(name);
    if (existing != null && existing.sha256().equals(RegisteredModule.sha256(wasm))) {
      return new Registered(existing, false);
    }
    RegisteredModule module = RegisteredModule.load(name, wasm, config);
    persist(name, wasm);
    modules.put(name, module);
    LOG.info("registered module '{}' ({} bytes, sha256 {})", name, wasm.length, module.sha256());
    return new Registered(module, existing != null);
  }

  /** Removes a module; sessions already running keep their instance. */
  public synchronized RegisteredModule unregister(String name) {
    RegisteredModule removed = modules.remove(name);
    if (removed == null) {
      throw notFound(name);
    }
    try {
      Files.deleteIfExists(dir.resolve(name + ".wasm"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete module file of '" + name + "'", e);
    }
    LOG.info("unregistered module '{}'", name);
    return removed;
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

  public RegisteredModule get(String name) {
    RegisteredModule m = modules.get(name);
    if (m == null) {
      throw notFound(name);
    }
    return m;
  }

  public List<RegisteredModule> list() {
    List<RegisteredModule> all = new ArrayList<>(modules.values());
    all.sort(Comparator.comparing(RegisteredModule::name));
    return all;
  }

  private WasmFlightException notFound(String name) {
    return new WasmFlightException.NotFound("no module named '" + name + "' is registered");
  }

  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new WasmFlightException.BadRequest(
          "invalid module name '"
              + name
              + "': use 1-64 characters from A-Z a-z 0-9 _ - (not starting with -)");
    }
  }

  private void persist(String name, byte[] wasm) {
    Path target = dir.resolve(name + ".wasm");
    try {
      Path tmp = Files.createTempFile(dir, name + ".", ".part");
      try {
        Files.write(tmp, wasm);
        try {
          Files.move(
              tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist module '" + name + "' to " + target, e);
    }
  }
}
