package io.wasmflight.server.internal.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Compiled loops keep the memory's array in a local ({@link GuestCompiler}); these loops grow the
 * memory while they run (by a direct call, an indirect call, their own {@code memory.grow}, a call
 * that grows and then throws to their handler) and store at the new end at once: a stale array
 * would make that store a trap. Each result is checked against Chicory's interpreter.
 */
class MemoryGrowthTest {
  private static final String WAT =
      """
      (module
        (import "env" "host" (func $host))
        (type $grower (func (result i32)))
        (memory (export "memory") 1 40)
        (table 2 funcref)
        (elem (i32.const 0) $grow $pure_call)
        (func $grow (result i32) (memory.grow (i32.const 1)))
        (func $grow_via (result i32) (call $grow))
        (func $pure_call (result i32) (call $pure (i32.const 1)))
        (func $pure (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func $top (result i32) (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
        ;; n times: grow through a call chain, store i in the last word, then a non-growing call
        (func (export "by_call") (param $n i32) (result i32) (local $i i32)
          (loop $l
            (drop (call $grow_via))
            (i32.store (call $top) (local.get $i))
            (local.set $i (call $pure (local.get $i)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (i32.load (call $top)))
        (func (export "by_indirect") (param $n i32) (result i32) (local $i i32)
          (loop $l
            (drop (call_indirect (type $grower) (i32.const 0)))
            (i32.store (call $top) (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (i32.load (call $top)))
        (func (export "by_itself") (param $n i32) (result i32) (local $i i32)
          (loop $l
            (drop (memory.grow (i32.const 1)))
            (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))
              (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (i32.load (call $top)))
        (func (export "calls_host") (param $n i32) (result i32) (local $i i32)
          (loop $l
            (call $host)
            (i32.store (call $top) (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (i32.load (call $top))))
      """;

  private static final WasmModule MODULE = Parser.parse(Wat2Wasm.parse(WAT));

  /** Function indices of MODULE (the import first). */
  private static final int HOST = 0;

  private static final int GROW = 1;
  private static final int GROW_VIA = 2;
  private static final int PURE_CALL = 3;
  private static final int PURE = 4;
  private static final int TOP = 5;
  private static final int BY_CALL = 6;
  private static final int BY_INDIRECT = 7;
  private static final int BY_ITSELF = 8;
  private static final int CALLS_HOST = 9;

  @Test
  void theAnalysisFollowsCallsToGrowthAndTreatsTheUnknownAsGrowing() {
    MemoryGrowth growth = MemoryGrowth.of(MODULE);
    assertTrue(growth.mayGrow(HOST), "an import");
    assertTrue(growth.mayGrow(GROW), "memory.grow");
    assertTrue(growth.mayGrow(GROW_VIA), "calls a grower");
    assertFalse(growth.mayGrow(PURE_CALL), "calls only a non-grower");
    assertFalse(growth.mayGrow(PURE));
    assertFalse(growth.mayGrow(TOP), "memory.size is not growth");
    assertTrue(growth.mayGrow(BY_CALL), "transitively");
    assertTrue(growth.mayGrow(BY_INDIRECT), "an indirect call");
    assertTrue(growth.mayGrow(BY_ITSELF));
    assertTrue(growth.mayGrow(CALLS_HOST));
    assertTrue(MemoryGrowth.unknown().mayGrow(PURE));
  }

  @Test
  void loopsThatGrowTheMemoryStoreIntoTheNewPages() {
    for (String name : new String[] {"by_call", "by_indirect", "by_itself", "calls_host"}) {
      long compiled = run(MODULE, true, name, 5);
      assertEquals(run(MODULE, false, name, 5), compiled, name);
      assertEquals(4, compiled, name + ": the last i, stored in the last page grown");
    }
  }

  @Test
  void aLoopReadsTheArrayOnEntryAndAfterGrowingCallsOnly() {
    Map<String, Integer> reads = arrayReadsAfterCalls();
    // by_call: $grow_via re-reads; $top and $pure (called twice, not growing) do not
    assertEquals(1, reads.get("func_" + BY_CALL + " after func_" + GROW_VIA));
    assertEquals(0, reads.getOrDefault("func_" + BY_CALL + " after func_" + PURE, 0));
    assertEquals(0, reads.getOrDefault("func_" + BY_CALL + " after func_" + TOP, 0));
    assertEquals(1, reads.get("func_" + BY_CALL + " on entry"));
    assertEquals(1, reads.get("func_" + BY_ITSELF + " after memoryGrow"));
    assertEquals(1, reads.get("func_" + BY_INDIRECT + " after call_indirect_0"));
    assertEquals(1, reads.get("func_" + CALLS_HOST + " after func_" + HOST));
    // without a loop, a function reads the field at each access as before
    assertEquals(0, reads.getOrDefault("func_" + TOP + " on entry", 0));
  }

  /**
   * {@code t(n)}: n times, a call that grows the memory and then throws a tag, caught by the loop
   * (try_table, which neither wabt build here parses: encoded by hand), then a store in the new
   * last word. The handler must re-read the array.
   */
  @Test
  void aHandlerReadsTheArrayAgainAfterAThrowingCallGrewTheMemory() {
    WasmModule module = Parser.parse(throwingGrowthModule());
    long compiled = run(module, true, "t", 3);
    assertEquals(run(module, false, "t", 3), compiled);
    assertEquals(2, compiled);
  }

  private static long run(WasmModule module, boolean compiled, String export, long arg) {
    Instance.Builder builder =
        Instance.builder(module)
            .withMemoryFactory(limits -> new FlatMemory(limits, 40))
            .withImportValues(
                ImportValues.builder()
                    .addFunction(
                        new HostFunction(
                            "env",
                            "host",
                            FunctionType.empty(),
                            (instance, args) -> {
                              instance.memory().grow(1); // a host function may grow it too
                              return null;
                            }))
                    .build());
    if (compiled) {
      builder.withMachineFactory(GuestCompiler.compile(module));
    }
    return builder.build().export(export).apply(arg)[0];
  }

  /** "func_N after X" / "func_N on entry": how often each compiled function reads the array. */
  private static Map<String, Integer> arrayReadsAfterCalls() {
    var result =
        Compiler.builder(MODULE)
            .withClassCollectorFactory(ClassLoadingCollector::new)
            .build()
            .compile();
    Map<String, Integer> reads = new HashMap<>();
    for (byte[] bytes : result.collector().classBytes().values()) {
      ClassNode node = new ClassNode();
      new ClassReader(GuestCompiler.rewrite(bytes, MemoryGrowth.of(MODULE))).accept(node, 0);
      for (MethodNode method : node.methods) {
        String previous = "on entry";
        for (AbstractInsnNode insn : method.instructions) {
          if (!(insn instanceof MethodInsnNode call) || call.getOpcode() != Opcodes.INVOKESTATIC) {
            continue;
          }
          if (call.name.equals("bytes") && call.owner.endsWith("GuestMemoryAccess")) {
            reads.merge(method.name + " " + previous, 1, Integer::sum);
          } else if (!call.name.startsWith("memoryRead")
              && !call.name.startsWith("memoryWrite")
              && !call.name.equals("checkInterruption")) {
            previous = "after " + call.name;
          }
        }
      }
    }
    return reads;
  }

  private static byte[] throwingGrowthModule() {
    var types = bytes(2, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f); // () -> (), (i32) -> i32
    var functions = bytes(2, 0, 1);
    var memory = bytes(1, 0x01, 1, 10); // min 1, max 10 pages
    var tags = bytes(1, 0x00, 0); // exception tag of type ()
    var exports =
        concat(
            bytes(2, 6),
            "memory".getBytes(),
            bytes(0x02, 0),
            bytes(1),
            "t".getBytes(),
            bytes(0, 1));
    byte[] growThrow = bytes(0, 0x41, 1, 0x40, 0, 0x1a, 0x08, 0, 0x0b);
    byte[] top = bytes(0x3f, 0, 0x41, 0x80, 0x80, 0x04, 0x6c, 0x41, 4, 0x6b);
    byte[] loop =
        concat(
            bytes(1, 1, 0x7f), // one i32 local: i
            bytes(0x03, 0x40), // loop
            bytes(0x02, 0x40), // block $h
            bytes(0x1f, 0x40, 1, 0x00, 0, 0), // try_table (catch tag 0 -> $h)
            bytes(0x10, 0), // call growThrow
            bytes(0x0b, 0x0b), // end try_table, end block
            top,
            bytes(0x20, 1, 0x36, 2, 0), // i32.store [top] = i
            bytes(0x20, 1, 0x41, 1, 0x6a, 0x21, 1), // i += 1
            bytes(0x20, 1, 0x20, 0, 0x49, 0x0d, 0), // br_if loop (i <u n)
            bytes(0x0b), // end loop
            top,
            bytes(0x28, 2, 0, 0x0b)); // i32.load [top]; end
    var code = concat(bytes(2), sized(growThrow), sized(loop));
    return concat(
        bytes(0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0),
        section(1, types),
        section(3, functions),
        section(5, memory),
        section(13, tags),
        section(7, exports),
        section(10, code));
  }

  private static byte[] section(int id, byte[] content) {
    return concat(bytes(id), sized(content));
  }

  private static byte[] sized(byte[] content) {
    if (content.length > 127) {
      throw new IllegalArgumentException("one-byte sizes only");
    }
    return concat(bytes(content.length), content);
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
