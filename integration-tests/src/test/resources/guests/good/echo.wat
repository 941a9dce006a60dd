;; echo: returns the host's input batch as its output (the output structs point at the
;; host-owned input buffers). A minimal, dependency-free implementation of guest ABI 1.0 used to
;; test the host path without the Rust SDK. Hostile fixtures are variations of this file.
(module
  (memory (export "memory") 2)
  ;; bump allocator: never frees
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "{\"functions\":[{\"name\":\"echo\",\"kind\":\"map\",\"export\":\"wf_fn_echo\"}]}\00")
  (func (export "wf_abi_version") (result i32) (i32.const 65536))
  (func (export "wf_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.sub
                  (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                  (memory.size)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func (export "wf_free") (param i32 i32 i32))
  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  ;; the catalog is NUL-terminated so that edited copies (BadRequestTest) stay valid
  (func (export "wf_catalog") (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (call $strlen (i32.const 16))) (i64.const 32))
            (i64.const 16)))
  (func (export "wf_last_error") (result i64) (i64.const 0))
  (func (export "wf_release") (param $s i32) (param $a i32)
    (i32.store offset=40 (local.get $s) (i32.const 0))
    (i32.store offset=52 (local.get $a) (i32.const 0)))
  (func (export "wf_fn_echo")
        (param $in_schema i32) (param $in_array i32) (param $out_schema i32) (param $out_array i32)
        (result i32)
    (memory.copy (local.get $out_schema) (local.get $in_schema) (i32.const 48))
    (memory.copy (local.get $out_array) (local.get $in_array) (i32.const 64))
    ;; release must be non-zero on a filled struct; the host never calls it
    (i32.store offset=40 (local.get $out_schema) (i32.const 1))
    (i32.store offset=52 (local.get $out_array) (i32.const 1))
    (i32.const 0))
)
