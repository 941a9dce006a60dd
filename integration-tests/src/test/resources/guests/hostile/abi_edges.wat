;; abi_edges: an ABI 1.0 module whose functions test the edges of the contract the host must
;; enforce or honour between batches (AbiEdgesTest asserts each outcome):
;;   scribble_children  writes garbage over the host's top-level input `children` array after
;;                      answering; the host rewrites it every batch (abi-v1.md 5.3), so the
;;                      next batch still reads (it traps if the array is not rewritten)
;;   sticky_release     a valid answer, but wf_release then leaves the output `release` fields
;;                      non-zero (abi-v1.md 3: it must leave both 0)
;;   duplicate_names    two output columns, both column 0 of the input (same name)
;;   long_message       WF_ERR_EXECUTION with a 4096-byte message of two-byte characters
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  (global $sticky (mut i32) (i32.const 0))
  (global $err_len (mut i32) (i32.const 0))
  (data (i32.const 16)
    "{\"functions\":["
    "{\"name\":\"scribble_children\",\"kind\":\"map\",\"export\":\"wf_fn_scribble_children\"},"
    "{\"name\":\"sticky_release\",\"kind\":\"map\",\"export\":\"wf_fn_sticky_release\"},"
    "{\"name\":\"duplicate_names\",\"kind\":\"map\",\"export\":\"wf_fn_duplicate_names\"},"
    "{\"name\":\"long_message\",\"kind\":\"map\",\"export\":\"wf_fn_long_message\"}"
    "]}\00")

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func (export "wf_abi_version") (result i32) (i32.const 65536))
  (func $alloc (export "wf_alloc") (param $size i32) (param $align i32) (result i32)
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
  (func (export "wf_catalog") (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (call $strlen (i32.const 16))) (i64.const 32))
            (i64.const 16)))
  ;; the long message lives at 4096..8192
  (func (export "wf_last_error") (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (global.get $err_len)) (i64.const 32))
            (i64.const 4096)))
  (func (export "wf_release") (param $s i32) (param $a i32)
    (if (i32.eqz (global.get $sticky))
      (then
        (i32.store offset=40 (local.get $s) (i32.const 0))
        (i32.store offset=52 (local.get $a) (i32.const 0)))))

  ;; The output is the input batch: structs copied, the children arrays private copies.
  (func $echo (param $is i32) (param $ia i32) (param $os i32) (param $oa i32)
    (local $n i32) (local $bytes i32) (local $copy i32)
    (memory.copy (local.get $os) (local.get $is) (i32.const 48))
    (memory.copy (local.get $oa) (local.get $ia) (i32.const 64))
    (local.set $n (i32.wrap_i64 (i64.load offset=32 (local.get $ia))))
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $copy (call $alloc (local.get $bytes) (i32.const 4)))
    (memory.copy (local.get $copy) (i32.load offset=44 (local.get $ia)) (local.get $bytes))
    (i32.store offset=44 (local.get $oa) (local.get $copy))
    (i32.store offset=40 (local.get $os) (i32.const 1))
    (i32.store offset=52 (local.get $oa) (i32.const 1)))

  (func (export "wf_fn_scribble_children")
        (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (local $n i32) (local $children i32) (local $i i32)
    (local.set $n (i32.wrap_i64 (i64.load offset=32 (local.get $ia))))
    (local.set $children (i32.load offset=44 (local.get $ia)))
    ;; read every column's length through the host's array: traps on a scribbled pointer
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (i64.load (i32.load (i32.add (local.get $children)
                                            (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    ;; then scribble over the host's array (the output has its own copy)
    (memory.fill (local.get $children) (i32.const 0xf0) (i32.shl (local.get $n) (i32.const 2)))
    (i32.const 0))

  (func (export "wf_fn_sticky_release")
        (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (global.set $sticky (i32.const 1))
    (i32.const 0))

  (func (export "wf_fn_duplicate_names")
        (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (local $schemas i32) (local $arrays i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $schemas (call $alloc (i32.const 8) (i32.const 4)))
    (local.set $arrays (call $alloc (i32.const 8) (i32.const 4)))
    (i32.store (local.get $schemas) (i32.load (i32.load offset=32 (local.get $is))))
    (i32.store offset=4 (local.get $schemas) (i32.load (i32.load offset=32 (local.get $is))))
    (i32.store (local.get $arrays) (i32.load (i32.load offset=44 (local.get $ia))))
    (i32.store offset=4 (local.get $arrays) (i32.load (i32.load offset=44 (local.get $ia))))
    (i64.store offset=24 (local.get $os) (i64.const 2))
    (i32.store offset=32 (local.get $os) (local.get $schemas))
    (i64.store offset=32 (local.get $oa) (i64.const 2))
    (i32.store offset=44 (local.get $oa) (local.get $arrays))
    (i32.const 0))

  (func (export "wf_fn_long_message")
        (param i32 i32 i32 i32) (result i32)
    (local $i i32)
    ;; "é" (c3 a9) 2048 times
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (i32.const 4096)))
        (i32.store16 (i32.add (i32.const 4096) (local.get $i)) (i32.const 0xa9c3))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $fill)))
    (global.set $err_len (i32.const 4096))
    (i32.const 2))
)
