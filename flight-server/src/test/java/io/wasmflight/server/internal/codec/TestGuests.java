package io.wasmflight.server.internal.codec;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.GuestInstance;

/** A minimal ABI 1.0 module (bump allocator, no functions) for unit tests of the host side. */
final class TestGuests {
  static final String BUMP_ALLOCATOR =
      """
      (module
        (memory (export "memory") 1)
        (global $heap (mut i32) (i32.const 1024))
        (func (export "wf_abi_version") (result i32) (i32.const 65536))
        (func (export "wf_alloc") (param $size i32) (param $align i32) (result i32)
          (local $p i32) (local $end i32)
          (local.set $p (i32.and
            (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
            (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
          (local.set $end (i32.add (local.get $p) (local.get $size)))
          (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
            (then (if (i32.eq (memory.grow (i32.sub
                  (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                  (memory.size))) (i32.const -1))
              (then (return (i32.const 0))))))
          (global.set $heap (local.get $end))
          (local.get $p))
        (func (export "wf_free") (param i32 i32 i32))
        (func (export "wf_catalog") (result i64) (i64.const 0))
        (func (export "wf_last_error") (result i64) (i64.const 0))
        (func (export "wf_release") (param i32 i32)))
      """;

  private static final WasmModule MODULE = Parser.parse(Wat2Wasm.parse(BUMP_ALLOCATOR));

  private TestGuests() {}

  static GuestInstance instance(int capPages) {
    return GuestInstance.instantiate(
        MODULE,
        null,
        capPages,
        new CallBudget(java.time.Duration.ofSeconds(30), java.time.Duration.ZERO));
  }
}
