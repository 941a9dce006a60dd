package io.wasmflight.server.internal.guest;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which functions of a module may grow its memory while they run: those with a {@code memory.grow},
 * an imported function, an indirect call (any target) or a call of such a function, transitively.
 * {@link GuestCompiler} keeps a compiled function's memory array in a local and reads it again only
 * after calls that may grow the memory.
 */
final class MemoryGrowth {
  private final BitSet grows; // null: all

  private MemoryGrowth(BitSet grows) {
    this.grows = grows;
  }

  /** Every function may grow memory: for code compiled without its module at hand. */
  static MemoryGrowth unknown() {
    return new MemoryGrowth(null);
  }

  static MemoryGrowth of(WasmModule module) {
    int imports = module.importSection().count(ExternalType.FUNCTION);
    FunctionBody[] bodies = module.codeSection().functionBodies();
    BitSet grows = new BitSet();
    grows.set(0, imports);
    List<int[]> callees = new ArrayList<>(bodies.length);
    for (int i = 0; i < bodies.length; i++) {
      List<Integer> direct = new ArrayList<>();
      for (AnnotatedInstruction ins : bodies[i].instructions()) {
        switch (ins.opcode()) {
          case MEMORY_GROW, CALL_INDIRECT, RETURN_CALL_INDIRECT, CALL_REF, RETURN_CALL_REF ->
              grows.set(imports + i);
          case CALL, RETURN_CALL -> direct.add((int) ins.operand(0));
          default -> {}
        }
      }
      callees.add(direct.stream().mapToInt(Integer::intValue).toArray());
    }
    for (boolean changed = true; changed; ) {
      changed = false;
      for (int i = 0; i < bodies.length; i++) {
        if (grows.get(imports + i)) {
          continue;
        }
        for (int callee : callees.get(i)) {
          if (grows.get(callee)) {
            grows.set(imports + i);
            changed = true;
            break;
          }
        }
      }
    }
    return new MemoryGrowth(grows);
  }

  /** Whether function {@code funcId} (index space with imports first) may grow the memory. */
  boolean mayGrow(int funcId) {
    return grows == null || funcId < 0 || grows.get(funcId);
  }
}
