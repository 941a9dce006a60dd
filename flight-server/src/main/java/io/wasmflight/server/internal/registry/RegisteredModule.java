package io.wasmflight.server.internal.registry;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ValType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.Engine;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.abi.AbiV1;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.GuestCompiler;
import io.wasmflight.server.internal.guest.GuestInstance;
import io.wasmflight.server.internal.guest.SessionLimits;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A validated module: parsed once, compiled once, instantiated per session. Immutable and shared
 * between sessions; instances are not.
 */
public final class RegisteredModule {
  private static final FunctionType MAP_TYPE =
      FunctionType.of(
          List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final FunctionType UPDATE_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final FunctionType FINISH_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
  private static final FunctionType INIT_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));

  private final VersionMeta meta;
  private final WasmModule module;
  private final Function<Instance, Machine> compiled;
  private final List<FunctionSpec> functions;
  private final long compileMillis;
  private final int abiVersion;

  private RegisteredModule(
      VersionMeta meta,
      WasmModule module,
      Function<Instance, Machine> compiled,
      List<FunctionSpec> functions,
      long compileMillis,
      int abiVersion) {
    this.meta = meta;
    this.module = module;
    this.compiled = compiled;
    this.functions = functions;
    this.compileMillis = compileMillis;
    this.abiVersion = abiVersion;
  }

  public String name() {
    return meta.name();
  }

  public int version() {
    return meta.version();
  }

  public String sha256() {
    return meta.sha256();
  }

  /** What the registry persists about this version. */
  public VersionMeta meta() {
    return meta;
  }

  public List<FunctionSpec> functions() {
    return functions;
  }

  /** The function called {@code fn}, or NOT_FOUND naming what exists. */
  public FunctionSpec function(String fn) {
    for (FunctionSpec f : functions) {
      if (f.name().equals(fn)) {
        return f;
      }
    }
    throw new WasmFlightException.NotFound(
        "module '"
            + name()
            + "' has no function '"
            + fn
            + "'; it has: "
            + String.join(", ", functions.stream().map(FunctionSpec::name).toList())
            + " (version "
            + version()
            + ")");
  }

  /** A fresh, independent instance for one session, within its limits. */
  public GuestInstance instantiate(Engine engine, SessionLimits limits, CallBudget budget) {
    return GuestInstance.instantiate(
        module, engine == Engine.AOT ? compiled : null, limits.memoryPages(), budget);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Parses, validates (abi-v1.md section 3, in order), compiles and probes a module. Every failure
   * is a {@link WasmFlightException.ModuleRejected} with the reason.
   *
   * @param meta the version's metadata; its sha256 and size are those of {@code wasm}
   */
  static RegisteredModule load(VersionMeta meta, byte[] wasm, ServerConfig config) {
    WasmModule module;
    try {
      module = Parser.parse(wasm);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new WasmFlightException.ModuleRejected(
          "not a valid WebAssembly module: " + e.getMessage(), e);
    }
    if (module.importSection().importCount() > 0) {
      Import first = module.importSection().getImport(0);
      throw new WasmFlightException.ModuleRejected(
          "module imports "
              + first.module()
              + "."
              + first.name()
              + "; ABI 1.0 modules must have no imports");
    }
    int memories = module.memorySection().map(m -> m.memoryCount()).orElse(0);
    if (memories != 1) {
      // With two, the host would write into one memory and the guest read another.
      throw new WasmFlightException.ModuleRejected(
          "a module must have exactly one memory, "
              + "exported as '"
              + AbiV1.MEMORY
              + "'; this one has "
              + memories);
    }
    requireExport(module, AbiV1.MEMORY, ExternalType.MEMORY, null);
    requireExport(
        module,
        AbiV1.ABI_VERSION,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(), List.of(ValType.I32)));
    requireExport(
        module,
        AbiV1.ALLOC,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)));
    requireExport(
        module,
        AbiV1.FREE,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of()));
    requireExport(
        module,
        AbiV1.CATALOG,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(), List.of(ValType.I64)));
    requireExport(
        module,
        AbiV1.LAST_ERROR,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(), List.of(ValType.I64)));
    requireExport(
        module,
        AbiV1.RELEASE,
        ExternalType.FUNCTION,
        FunctionType.of(List.of(ValType.I32, ValType.I32), List.of()));

    long t0 = System.nanoTime();
    Function<Instance, Machine> compiled = compile(module, config.compileTimeout());
    long compileMillis = (System.nanoTime() - t0) / 1_000_000;

    GuestInstance probe;
    try {
      probe =
          GuestInstance.instantiate(
              module, compiled, config.maxMemoryPages(), SessionLimits.of(config).budget());
    } catch (WasmFlightException.GuestTrap
        | WasmFlightException.LimitExceeded
        | WasmFlightException.TimedOut e) {
      throw new WasmFlightException.ModuleRejected(
          "instantiation failed (start function or memory): " + e.detail(), e);
    }
    int version;
    String catalog;
    try {
      version = probe.abiVersion();
      int major = version >>> 16;
      int minor = version & 0xFFFF;
      if (major != AbiV1.MAJOR || minor > AbiV1.MINOR) {
        throw new WasmFlightException.ModuleRejected(
            "module reports ABI "
                + major
                + "."
                + minor
                + "; this server speaks ABI "
                + AbiV1.MAJOR
                + "."
                + AbiV1.MINOR);
      }
      catalog = probe.catalogJson();
    } catch (WasmFlightException.GuestTrap
        | WasmFlightException.AbiViolation
        | WasmFlightException.TimedOut e) {
      throw new WasmFlightException.ModuleRejected(
          "reading the ABI version and catalog failed: " + e.getMessage(), e);
    }
    List<FunctionSpec> functions = FunctionSpec.parseCatalog(catalog);
    for (FunctionSpec f : functions) {
      int minor = version & 0xFFFF;
      if (f.requiredMinor() > minor) {
        throw new WasmFlightException.ModuleRejected(
            "function '"
                + f.name()
                + "' is of kind '"
                + f.kind().wireName()
                + "', which needs ABI 1."
                + f.requiredMinor()
                + "; the module reports ABI 1."
                + minor
                + " (rebuild it with a newer guest SDK)");
      }
      requireExport(
          module,
          f.export(),
          ExternalType.FUNCTION,
          f.kind() == FunctionSpec.Kind.AGGREGATE ? UPDATE_TYPE : MAP_TYPE);
      if (f.init() != null) {
        requireExport(module, f.init(), ExternalType.FUNCTION, INIT_TYPE);
      }
      if (f.finish() != null) {
        requireExport(module, f.finish(), ExternalType.FUNCTION, FINISH_TYPE);
      }
    }
    return new RegisteredModule(meta, module, compiled, functions, compileMillis, version);
  }

  /**
   * Compiles on a separate thread so that a module that takes too long is refused. Chicory's
   * compiler cannot be interrupted: a timed-out compilation finishes in the background and is
   * discarded (the module size limit bounds how long that can be).
   */
  private static Function<Instance, Machine> compile(WasmModule module, Duration timeout) {
    CompletableFuture<Function<Instance, Machine>> future =
        CompletableFuture.supplyAsync(() -> GuestCompiler.compile(module), COMPILER);
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new WasmFlightException.LimitExceeded(
          "compilation took longer than " + timeout.toMillis() + " ms (the compile time limit)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WasmFlightException.Cancelled("interrupted while compiling");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new WasmFlightException.ModuleRejected(
          "compilation failed: " + cause.getMessage(), cause);
    }
  }

  private static final ExecutorService COMPILER =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "wasm-flight-compiler");
            t.setDaemon(true);
            return t;
          });

  private static void requireExport(
      WasmModule module, String exportName, ExternalType kind, FunctionType type) {
    Export found = null;
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(exportName)) {
        found = exports.getExport(i);
        break;
      }
    }
    if (found == null) {
      throw new WasmFlightException.ModuleRejected(
          "missing required export '" + exportName + "' (see proto-docs/abi-v1.md section 3)");
    }
    if (found.exportType() != kind) {
      throw new WasmFlightException.ModuleRejected(
          "export '" + exportName + "' is a " + found.exportType() + ", expected a " + kind);
    }
    if (type != null) {
      FunctionType actual =
          module.functionSection().getFunctionType(found.index(), module.typeSection());
      if (!actual.equals(type)) {
        throw new WasmFlightException.ModuleRejected(
            "export '" + exportName + "' has signature " + actual + ", expected " + type);
      }
    }
  }

  /** The JSON description of this version used by register, list and describe. */
  public ObjectNode toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("name", meta.name());
    o.put("version", meta.version());
    o.put("sha256", meta.sha256());
    o.put("size_bytes", meta.sizeBytes());
    o.put("abi_version", (abiVersion >>> 16) + "." + (abiVersion & 0xFFFF));
    o.put("registered_at", meta.registeredAt().toString());
    o.put("registered_by", meta.registeredBy());
    o.put("compile_ms", compileMillis);
    ArrayNode fs = o.putArray("functions");
    for (FunctionSpec f : functions) {
      fs.add(f.toJson());
    }
    return o;
  }
}
