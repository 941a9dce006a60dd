package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.AbiV1;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * One instance of a guest module with the ABI 1.x exports resolved. Every call into the guest goes
 * through {@link #invoke}, the one place where traps become {@link WasmFlightException}s. After any
 * exception the instance must be dropped, never called again.
 *
 * <p>Not thread-safe: one per session.
 */
public final class GuestInstance {
  private final Instance instance;
  private final FlatMemory memory;
  private final CallBudget budget;
  private final ExportFunction alloc;
  private final ExportFunction free;
  private final ExportFunction release;
  private final ExportFunction lastError;

  private GuestInstance(Instance instance, FlatMemory memory, CallBudget budget) {
    this.instance = instance;
    this.memory = memory;
    this.budget = budget;
    this.alloc = instance.export(AbiV1.ALLOC);
    this.free = instance.export(AbiV1.FREE);
    this.release = instance.export(AbiV1.RELEASE);
    this.lastError = instance.export(AbiV1.LAST_ERROR);
  }

  /**
   * Instantiates a module (running its start function) under a time budget that then covers every
   * call into the instance.
   *
   * @param machineFactory the compiled machine factory, or null for the interpreter
   * @param capPages the most memory pages this instance may use
   */
  public static GuestInstance instantiate(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      int capPages,
      CallBudget budget) {
    FlatMemory[] created = new FlatMemory[1];
    // The module's own globals, in its numbering, for GuestGlobalAccess: Chicory creates them in
    // order, before any guest code runs. Only when no global is imported (the numberings agree).
    GlobalInstance[] globals =
        module.importSection().count(ExternalType.GLOBAL) == 0
            ? new GlobalInstance[module.globalSection().globalCount()]
            : null;
    int[] globalsMade = new int[1];
    Instance.Builder builder =
        Instance.builder(module)
            .withMemoryFactory(
                limits -> {
                  created[0] = new FlatMemory(limits, capPages);
                  created[0].globals = globals;
                  return created[0];
                })
            .withGlobalFactory(
                (low, high, type, mutability) -> {
                  GlobalInstance global = new GlobalInstance(low, high, type, mutability);
                  if (globals != null) {
                    globals[globalsMade[0]++] = global;
                  }
                  return global;
                });
    if (machineFactory != null) {
      builder.withMachineFactory(machineFactory);
    } else {
      // The interpreter does not check for interruption inside loop/br_if: poll the budget.
      builder.withUnsafeExecutionListener(
          (instruction, stack) -> {
            if (budget.expired()) {
              throw new ChicoryInterruptedException("time limit");
            }
          });
    }
    Instance instance;
    budget.begin();
    try {
      instance = builder.build();
    } catch (FlatMemory.MemoryCapExceeded e) {
      throw new WasmFlightException.LimitExceeded(e.getMessage());
    } catch (ChicoryException | WasmException | IndexOutOfBoundsException e) {
      if (budget.expired()) {
        throw budget.timedOut();
      }
      throw new WasmFlightException.GuestTrap("instantiation failed: " + describe(e), e);
    } catch (StackOverflowError e) {
      throw new WasmFlightException.GuestTrap("instantiation failed: call stack exhausted", e);
    } finally {
      budget.end();
    }
    if (created[0] == null) {
      throw new WasmFlightException.ModuleRejected("module has no memory");
    }
    return new GuestInstance(instance, created[0], budget);
  }

  public FlatMemory memory() {
    return memory;
  }

  /** An exported function, looked up once by the caller and reused. */
  public ExportFunction export(String name) {
    return instance.export(name);
  }

  /**
   * Calls a guest export within the time budget; traps become {@link
   * WasmFlightException.GuestTrap}, or {@link WasmFlightException.LimitExceeded} when the trap
   * followed a refused memory growth, or {@link WasmFlightException.TimedOut}.
   */
  public long[] invoke(ExportFunction function, long... args) {
    budget.begin();
    try {
      return function.apply(args);
    } catch (ChicoryException | WasmException | IndexOutOfBoundsException e) {
      throw trap(e);
    } catch (StackOverflowError e) {
      throw new WasmFlightException.GuestTrap("call stack exhausted", e);
    } finally {
      budget.end();
    }
  }

  private WasmFlightException trap(Exception e) {
    if (budget.expired()) {
      return budget.timedOut();
    }
    String trap = describe(e) + guestSays();
    if (memory.growRefusedByCap()) {
      return new WasmFlightException.LimitExceeded(
          "guest memory limit of "
              + memory.maximumPages()
              + " pages ("
              + ((long) memory.maximumPages() * 64 / 1024)
              + " MiB) reached; the guest then trapped: "
              + trap,
          e);
    }
    return new WasmFlightException.GuestTrap(trap, e);
  }

  /**
   * After a trap, the guest's own account of it (a Rust panic message, recorded by the SDK's panic
   * hook): one call of the {@code wf_last_error} getter, capped at 100 ms, its result
   * bounds-checked like any guest output. The instance is never used for anything else again.
   */
  private String guestSays() {
    long packed;
    budget.begin(100_000_000L);
    try {
      packed = lastError.apply()[0];
    } catch (ChicoryException | WasmException | IndexOutOfBoundsException | StackOverflowError e) {
      return "";
    } finally {
      budget.end();
    }
    long ptr = packed & 0xFFFF_FFFFL;
    long len = Math.min(packed >>> 32, AbiV1.MAX_ERROR_MESSAGE_BYTES);
    if (packed == 0 || !memory.inBounds(ptr, len)) {
      return "";
    }
    return " (the guest said: "
        + new String(memory.array(), (int) ptr, (int) len, StandardCharsets.UTF_8).strip()
        + ")";
  }

  private static String describe(Exception e) {
    if (e instanceof WasmException) {
      return "uncaught wasm exception";
    }
    if (e instanceof IndexOutOfBoundsException) {
      // Compiled code's loads and stores (GuestMemoryAccess) leave their array bounds check to the
      // JVM; its exception is the guest's out-of-bounds trap.
      return GuestMemoryAccess.OUT_OF_BOUNDS;
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** Calls an export returning one i32. */
  public int callInt(ExportFunction function, long... args) {
    long[] r = invoke(function, args);
    return (int) r[0];
  }

  /** {@code wf_alloc}; a null result is {@link WasmFlightException.GuestOutOfMemory}. */
  public int alloc(long size, int align) {
    if (size > Integer.MAX_VALUE) {
      throw new WasmFlightException.LimitExceeded(
          "cannot place " + size + " bytes in 32-bit guest memory");
    }
    int ptr = callInt(alloc, size, align);
    if (ptr == 0) {
      if (memory.growRefusedByCap()) {
        throw new WasmFlightException.LimitExceeded(
            "guest memory limit of "
                + memory.maximumPages()
                + " pages reached while the host "
                + "allocated "
                + size
                + " bytes for the input");
      }
      throw new WasmFlightException.GuestOutOfMemory(
          "wf_alloc(" + size + ", " + align + ") returned null");
    }
    if (!memory.inBounds(Integer.toUnsignedLong(ptr), size) || (ptr & (align - 1)) != 0) {
      throw new WasmFlightException.AbiViolation(
          "wf_alloc("
              + size
              + ", "
              + align
              + ") returned an invalid pointer "
              + Integer.toUnsignedString(ptr));
    }
    return ptr;
  }

  /** {@code wf_free}. */
  public void free(int ptr, long size, int align) {
    invoke(free, ptr, size, align);
  }

  /**
   * {@code wf_release} on the output slots, which must leave both structs released (abi-v1.md
   * section 3: {@code release == 0}); a guest that does not is an ABI violation.
   */
  public void release(int schemaPtr, int arrayPtr) {
    invoke(release, schemaPtr, arrayPtr);
    int schemaRelease = memory.readInt(schemaPtr + AbiV1.Schema.RELEASE);
    int arrayRelease = memory.readInt(arrayPtr + AbiV1.Array.RELEASE);
    if (schemaRelease != 0 || arrayRelease != 0) {
      throw new WasmFlightException.AbiViolation(
          "wf_release left release non-zero (ArrowSchema "
              + Integer.toUnsignedString(schemaRelease)
              + ", ArrowArray "
              + Integer.toUnsignedString(arrayRelease)
              + "); it must set both to 0");
    }
  }

  /** {@code wf_abi_version}. */
  public int abiVersion() {
    return callInt(export(AbiV1.ABI_VERSION));
  }

  /** The catalog JSON text. */
  public String catalogJson() {
    return readPacked(invoke(export(AbiV1.CATALOG))[0], AbiV1.MAX_CATALOG_BYTES, "wf_catalog");
  }

  /** The guest's last error message, or a placeholder when it gives none. */
  public String lastError() {
    long packed;
    try {
      packed = invoke(lastError)[0];
    } catch (WasmFlightException e) {
      return "(wf_last_error failed: " + e.detail() + ")";
    }
    if (packed == 0) {
      return "(the guest gave no message)";
    }
    try {
      return readPacked(packed, AbiV1.MAX_ERROR_MESSAGE_BYTES, "wf_last_error");
    } catch (WasmFlightException.AbiViolation e) {
      return "(" + e.detail() + ")";
    }
  }

  /** Reads a {@code (len << 32) | ptr} string, truncated to {@code maxBytes}. */
  private String readPacked(long packed, int maxBytes, String what) {
    long ptr = packed & 0xFFFF_FFFFL;
    long len = packed >>> 32;
    if (!memory.inBounds(ptr, len)) {
      throw new WasmFlightException.AbiViolation(
          what + " returned a string outside memory (ptr " + ptr + ", len " + len + ")");
    }
    int n = (int) Math.min(len, maxBytes);
    return new String(memory.array(), (int) ptr, n, StandardCharsets.UTF_8);
  }
}
