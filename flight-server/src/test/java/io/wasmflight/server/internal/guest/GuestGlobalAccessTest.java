package io.wasmflight.server.internal.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/** Compiled {@code global.get}/{@code global.set} through {@link GuestGlobalAccess}. */
class GuestGlobalAccessTest {
  /** A shadow stack pointer moved by a recursion, globals of each numeric type, one exported. */
  private static final String WAT =
      """
      (module
        (memory 1)
        (func (export "wf_alloc") (param i32 i32) (result i32) (i32.const 0))
        (func (export "wf_free") (param i32 i32 i32))
        (func (export "wf_last_error") (result i64) (i64.const 0))
        (func (export "wf_release") (param i32 i32))
        (global $sp (mut i32) (i32.const 4096))
        (global $c (mut i64) (i64.const 0))
        (global $f (mut f32) (f32.const 1.5))
        (global $d (mut f64) (f64.const -2.25))
        (global $k i32 (i32.const 7))
        (global $counter (export "counter") (mut i64) (i64.const 100))
        (func $depth (export "depth") (param $n i32) (result i32)
          (local $p i32) (local $r i32)
          (local.set $p (i32.sub (global.get $sp) (i32.const 16)))
          (global.set $sp (local.get $p))
          (i32.store (local.get $p) (local.get $n))
          (if (i32.gt_s (local.get $n) (i32.const 0))
            (then (local.set $r (call $depth (i32.sub (local.get $n) (i32.const 1))))))
          (local.set $r (i32.add (local.get $r) (i32.load (local.get $p))))
          (global.set $sp (i32.add (local.get $p) (i32.const 16)))
          (local.get $r))
        (func (export "sp") (result i32) (global.get $sp))
        (func (export "bump") (param $x i64) (result i64)
          (global.set $c (i64.add (global.get $c) (local.get $x)))
          (global.get $c))
        (func (export "floats") (result i64)
          (global.set $f (f32.mul (global.get $f) (f32.const 2)))
          (global.set $d (f64.add (global.get $d) (f64.promote_f32 (global.get $f))))
          (i64.reinterpret_f64 (global.get $d)))
        (func (export "k") (result i32) (global.get $k))
        (func (export "counter_add") (param $x i64)
          (global.set $counter (i64.add (global.get $counter) (local.get $x))))
        (func (export "loop_sum") (param $n i32) (result i64)
          (block $done
            (loop $next
              (br_if $done (i32.eqz (local.get $n)))
              (global.set $c (i64.add (global.get $c) (i64.extend_i32_u (local.get $n))))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $next)))
          (global.get $c)))
      """;

  private static final WasmModule MODULE = Parser.parse(Wat2Wasm.parse(WAT));

  private static GuestInstance instance(boolean compiled) {
    return GuestInstance.instantiate(
        MODULE,
        compiled ? GuestCompiler.compile(MODULE) : null,
        4,
        new CallBudget(Duration.ofSeconds(30), Duration.ZERO));
  }

  private static List<Long> run(GuestInstance g) {
    List<Long> out = new ArrayList<>();
    for (String[] call :
        new String[][] {
          {"sp"},
          {"depth", "10"},
          {"sp"},
          {"depth", "200"},
          {"sp"},
          {"bump", "5"},
          {"bump", "-12"},
          {"floats"},
          {"floats"},
          {"k"},
          {"counter_add", "23"},
          {"loop_sum", "1000"},
          {"bump", "1"}
        }) {
      long[] args = new long[call.length - 1];
      for (int i = 1; i < call.length; i++) {
        args[i - 1] = Long.parseLong(call[i]);
      }
      long[] result = g.invoke(g.export(call[0]), args);
      out.add(result == null || result.length == 0 ? null : result[0]);
    }
    return out;
  }

  @Test
  void compiledGlobalsMatchTheInterpreter() {
    List<Long> interpreted = run(instance(false));
    List<Long> compiled = run(instance(true));
    assertEquals(interpreted, compiled);
    assertEquals(4096L, compiled.get(0));
    assertEquals(55L, compiled.get(1)); // 10 + 9 + ... + 0, read back from the shadow stack
    assertEquals(4096L, compiled.get(2), "the stack pointer is restored");
    assertEquals(20100L, compiled.get(3));
    assertEquals(-7L, compiled.get(6));
    assertEquals(-7L + 500500L, compiled.get(11));
  }

  @Test
  void compiledWritesAreChicorysGlobalsToo() {
    GuestInstance g = instance(true);
    g.invoke(g.export("counter_add"), 23);
    GlobalInstance counter = g.memory().globals[5];
    assertEquals(123L, counter.getValue());
    counter.setValue(1000); // as Chicory's own exports would
    g.invoke(g.export("counter_add"), 1);
    assertEquals(1001L, counter.getValue());
  }

  @Test
  void aModuleImportingGlobalsTakesChicorysPath() {
    String wat =
        """
        (module
          (import "env" "base" (global $base (mut i64)))
          (global $own (mut i64) (i64.const 3))
          (func (export "mix") (param $x i64) (result i64)
            (global.set $base (i64.add (global.get $base) (local.get $x)))
            (global.set $own (i64.mul (global.get $own) (i64.const 2)))
            (i64.add (global.get $base) (global.get $own))))
        """;
    WasmModule module = Parser.parse(Wat2Wasm.parse(wat));
    GlobalInstance base = new GlobalInstance(Value.i64(40), MutabilityType.Var);
    Instance instance =
        Instance.builder(module)
            .withMachineFactory(GuestCompiler.compile(module))
            .withImportValues(
                ImportValues.builder().addGlobal(new ImportGlobal("env", "base", base)).build())
            .build();
    assertEquals(40 + 2 + 6, instance.export("mix").apply(2)[0]);
    assertEquals(42 + 5 + 12, instance.export("mix").apply(5)[0]);
    assertEquals(47L, base.getValue());
  }

  @Test
  void rewritePointsEveryNumericGlobalAccessAtGuestGlobalAccess() {
    var result =
        Compiler.builder(MODULE)
            .withClassCollectorFactory(ClassLoadingCollector::new)
            .build()
            .compile();
    int[] before = new int[2];
    int[] after = new int[2];
    for (byte[] bytes : result.collector().classBytes().values()) {
      count(bytes, before);
      count(GuestCompiler.rewrite(bytes, MemoryGrowth.of(MODULE)), after);
    }
    // 12 global.get and 7 global.set in the functions above
    assertTrue(before[0] >= 19, "Chicory's global accesses: " + before[0]);
    assertEquals(0, before[1]);
    assertEquals(0, after[0], "no global access left on Chicory's helpers");
    assertEquals(before[0], after[1]);
  }

  /** counts[0]: Chicory's readGlobal/writeGlobal calls; counts[1]: GuestGlobalAccess calls. */
  private static void count(byte[] classBytes, int[] counts) {
    String target = Type.getInternalName(GuestGlobalAccess.class);
    new ClassReader(classBytes)
        .accept(
            new ClassVisitor(Opcodes.ASM9) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String desc, String sig, String[] exceptions) {
                if (desc.equals("(ILcom/dylibso/chicory/runtime/Instance;)J")
                    || desc.equals("(JILcom/dylibso/chicory/runtime/Instance;)V")) {
                  return null; // Chicory's helpers themselves
                }
                return new MethodVisitor(Opcodes.ASM9) {
                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String mName, String mDesc, boolean itf) {
                    if (owner.equals(target)) {
                      counts[1]++;
                    } else if (owner.endsWith("Shaded")
                        && (mName.equals("readGlobal") || mName.equals("writeGlobal"))) {
                      counts[0]++;
                    }
                  }
                };
              }
            },
            0);
  }
}
