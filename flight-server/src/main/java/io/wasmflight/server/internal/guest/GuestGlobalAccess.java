package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;

/**
 * The {@code global.get} and {@code global.set} of compiled guest code on numeric globals, called
 * from the generated classes in place of Chicory's {@code readGlobal} and {@code writeGlobal}
 * ({@link GuestCompiler} rewrites the calls and passes the function's memory as well).
 *
 * <p>Why: Chicory reaches a global through {@link Instance#global}, which tests for an imported
 * global, subtracts the import count and bounds-checks, a chain of dependent loads for each access;
 * the SDK's functions read and write the shadow stack pointer at entry and exit, and at 1K rows per
 * batch that was 9% of the kernel's samples. Here the module's own globals are one array that
 * {@link GuestInstance} hands the {@link FlatMemory} at instantiation, indexed as the module
 * numbers them (it does so only when the module imports no global, so the two numberings agree);
 * the {@link GlobalInstance} objects are Chicory's own, so a write here is what {@link
 * Instance#global} returns and the reverse. Without that array (a module importing globals, a
 * memory made elsewhere) an access takes Chicory's path.
 */
public final class GuestGlobalAccess {
  private GuestGlobalAccess() {}

  public static long readGlobal(int index, Instance instance, Memory memory) {
    return global(index, instance, memory).getValue();
  }

  public static void writeGlobal(long value, int index, Instance instance, Memory memory) {
    global(index, instance, memory).setValue(value);
  }

  private static GlobalInstance global(int index, Instance instance, Memory memory) {
    GlobalInstance[] globals = memory instanceof FlatMemory flat ? flat.globals : null;
    return globals != null ? globals[index] : instance.global(index);
  }
}
