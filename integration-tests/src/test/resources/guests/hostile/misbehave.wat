;; misbehave: one ABI 1.0 module whose functions each break a rule on purpose. Every function
;; has a test asserting the exact outcome (HostileGuestTest). Helpers: $echo fills the output
;; with the input structs (a valid answer), $own_child0 gives the output a private copy of
;; column 0 (struct + buffers array) that a function can then corrupt without touching host
;; memory.
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  (global $err_ptr (mut i32) (i32.const 0))
  (data (i32.const 16)
    "{\"functions\":["
    "{\"name\":\"fail\",\"kind\":\"map\",\"export\":\"wf_fn_fail\"},"
    "{\"name\":\"reject\",\"kind\":\"map\",\"export\":\"wf_fn_reject\"},"
    "{\"name\":\"oom\",\"kind\":\"map\",\"export\":\"wf_fn_oom\"},"
    "{\"name\":\"bad_status\",\"kind\":\"map\",\"export\":\"wf_fn_bad_status\"},"
    "{\"name\":\"unreachable\",\"kind\":\"map\",\"export\":\"wf_fn_unreachable\"},"
    "{\"name\":\"div_zero\",\"kind\":\"map\",\"export\":\"wf_fn_div_zero\"},"
    "{\"name\":\"oob_load\",\"kind\":\"map\",\"export\":\"wf_fn_oob_load\"},"
    "{\"name\":\"stack_bomb\",\"kind\":\"map\",\"export\":\"wf_fn_stack_bomb\"},"
    "{\"name\":\"memory_bomb\",\"kind\":\"map\",\"export\":\"wf_fn_memory_bomb\"},"
    "{\"name\":\"loop\",\"kind\":\"map\",\"export\":\"wf_fn_loop\"},"
    "{\"name\":\"loop_br_if\",\"kind\":\"map\",\"export\":\"wf_fn_loop_br_if\"},"
    "{\"name\":\"no_output\",\"kind\":\"map\",\"export\":\"wf_fn_no_output\"},"
    "{\"name\":\"wrong_length\",\"kind\":\"map\",\"export\":\"wf_fn_wrong_length\"},"
    "{\"name\":\"oob_buffer\",\"kind\":\"map\",\"export\":\"wf_fn_oob_buffer\"},"
    "{\"name\":\"oob_struct\",\"kind\":\"map\",\"export\":\"wf_fn_oob_struct\"},"
    "{\"name\":\"length_overflow\",\"kind\":\"map\",\"export\":\"wf_fn_length_overflow\"},"
    "{\"name\":\"wrong_buffer_count\",\"kind\":\"map\",\"export\":\"wf_fn_wrong_buffer_count\"},"
    "{\"name\":\"children_cycle\",\"kind\":\"map\",\"export\":\"wf_fn_children_cycle\"},"
    "{\"name\":\"absurd_children\",\"kind\":\"map\",\"export\":\"wf_fn_absurd_children\"},"
    "{\"name\":\"huge_offsets\",\"kind\":\"map\",\"export\":\"wf_fn_huge_offsets\"},"
    "{\"name\":\"decreasing_offsets\",\"kind\":\"map\",\"export\":\"wf_fn_decreasing_offsets\"},"
    "{\"name\":\"bad_format\",\"kind\":\"map\",\"export\":\"wf_fn_bad_format\"},"
    "{\"name\":\"garbage\",\"kind\":\"map\",\"export\":\"wf_fn_garbage\"}"
    "]}\00")
  (data (i32.const 3072) "something went wrong in row 7\00")
  (data (i32.const 3200) "expected an int64 column, got something else\00")
  (data (i32.const 3328) "could not allocate the output\00")
  (data (i32.const 3456) "q\00")

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $packed (param $p i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (call $strlen (local.get $p))) (i64.const 32))
            (i64.extend_i32_u (local.get $p))))

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
  (func (export "wf_catalog") (result i64) (call $packed (i32.const 16)))
  (func (export "wf_last_error") (result i64)
    (if (result i64) (global.get $err_ptr)
      (then (call $packed (global.get $err_ptr)))
      (else (i64.const 0))))
  (func (export "wf_release") (param $s i32) (param $a i32)
    (i32.store offset=40 (local.get $s) (i32.const 0))
    (i32.store offset=52 (local.get $a) (i32.const 0)))

  (func $echo (param $is i32) (param $ia i32) (param $os i32) (param $oa i32)
    (memory.copy (local.get $os) (local.get $is) (i32.const 48))
    (memory.copy (local.get $oa) (local.get $ia) (i32.const 64))
    (i32.store offset=40 (local.get $os) (i32.const 1))
    (i32.store offset=52 (local.get $oa) (i32.const 1)))
  (func $own_child0 (param $oa i32) (result i32)
    (local $n i32) (local $children i32) (local $child i32) (local $nb i32) (local $bufs i32)
    (local.set $n (i32.wrap_i64 (i64.load offset=32 (local.get $oa))))
    (local.set $children (call $alloc (i32.shl (local.get $n) (i32.const 2)) (i32.const 4)))
    (memory.copy (local.get $children) (i32.load offset=44 (local.get $oa))
                 (i32.shl (local.get $n) (i32.const 2)))
    (local.set $child (call $alloc (i32.const 64) (i32.const 8)))
    (memory.copy (local.get $child) (i32.load (local.get $children)) (i32.const 64))
    (local.set $nb (i32.wrap_i64 (i64.load offset=24 (local.get $child))))
    (local.set $bufs (call $alloc (i32.shl (local.get $nb) (i32.const 2)) (i32.const 4)))
    (memory.copy (local.get $bufs) (i32.load offset=40 (local.get $child))
                 (i32.shl (local.get $nb) (i32.const 2)))
    (i32.store offset=40 (local.get $child) (local.get $bufs))
    (i32.store (local.get $children) (local.get $child))
    (i32.store offset=44 (local.get $oa) (local.get $children))
    (local.get $child))
  (func $recurse (param $x i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $x) (i32.const 1))) (i32.const 1)))

  ;; Status codes with a message.
  (func (export "wf_fn_fail") (param i32 i32 i32 i32) (result i32)
    (global.set $err_ptr (i32.const 3072)) (i32.const 2))
  (func (export "wf_fn_reject") (param i32 i32 i32 i32) (result i32)
    (global.set $err_ptr (i32.const 3200)) (i32.const 1))
  (func (export "wf_fn_oom") (param i32 i32 i32 i32) (result i32)
    (global.set $err_ptr (i32.const 3328)) (i32.const 3))
  (func (export "wf_fn_bad_status") (param i32 i32 i32 i32) (result i32) (i32.const 42))

  ;; Traps.
  (func (export "wf_fn_unreachable") (param i32 i32 i32 i32) (result i32) (unreachable))
  (func (export "wf_fn_div_zero") (param $is i32) (param $ia i32) (param i32 i32) (result i32)
    ;; n_children - n_children: zero, but only known at run time
    (i32.div_s (i32.const 1)
      (i32.sub (i32.wrap_i64 (i64.load offset=24 (local.get $is)))
               (i32.wrap_i64 (i64.load offset=24 (local.get $is))))))
  (func (export "wf_fn_oob_load") (param i32 i32 i32 i32) (result i32)
    (i32.load (i32.const -16)))
  (func (export "wf_fn_stack_bomb") (param i32 i32 i32 i32) (result i32)
    (call $recurse (i32.const 0)))
  (func (export "wf_fn_memory_bomb") (param i32 i32 i32 i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (unreachable))
  (func (export "wf_fn_loop") (param i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "wf_fn_loop_br_if") (param i32 i32 i32 i32) (result i32)
    (local $i i32)
    (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.ne (local.get $i) (i32.const 0))))
    ;; only after 2^32 iterations
    (i32.const 0))

  ;; Invalid output.
  (func (export "wf_fn_no_output") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "wf_fn_wrong_length") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i64.store (local.get $oa) (i64.add (i64.load (local.get $oa)) (i64.const 1)))
    (i32.const 0))
  (func (export "wf_fn_oob_buffer") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i32.store offset=4 (i32.load offset=40 (call $own_child0 (local.get $oa))) (i32.const 0x7fff0000))
    (i32.const 0))
  (func (export "wf_fn_oob_struct") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i32.store offset=44 (local.get $oa) (i32.const 0xfffffff0))
    (i32.const 0))
  (func (export "wf_fn_length_overflow") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (local $c i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $c (call $own_child0 (local.get $oa)))
    (i64.store (local.get $c) (i64.const 0x7fffffffffffffff))
    (i64.store offset=16 (local.get $c) (i64.const 0x7fffffffffffffff))
    (i32.const 0))
  (func (export "wf_fn_wrong_buffer_count") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i64.store offset=24 (call $own_child0 (local.get $oa)) (i64.const 5))
    (i32.const 0))
  (func (export "wf_fn_children_cycle") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (local $c i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $c (call $own_child0 (local.get $oa)))
    ;; column 0 claims one child: the batch struct itself
    (i64.store offset=32 (local.get $c) (i64.const 1))
    (i32.store offset=44 (local.get $c) (i32.load offset=44 (local.get $oa)))
    (i32.const 0))
  (func (export "wf_fn_absurd_children") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i64.store offset=24 (local.get $os) (i64.const 0x10000000000))
    (i64.store offset=32 (local.get $oa) (i64.const 0x10000000000))
    (i32.const 0))
  (func (export "wf_fn_huge_offsets") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    ;; column 0 must be utf8/binary: its last offset claims 1 GiB of data
    (local $c i32) (local $offsets i32) (local $rows i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $c (call $own_child0 (local.get $oa)))
    (local.set $rows (i32.wrap_i64 (i64.load (local.get $c))))
    (local.set $offsets (call $alloc (i32.shl (i32.add (local.get $rows) (i32.const 1)) (i32.const 2)) (i32.const 4)))
    (memory.fill (local.get $offsets) (i32.const 0) (i32.shl (local.get $rows) (i32.const 2)))
    (i32.store (i32.add (local.get $offsets) (i32.shl (local.get $rows) (i32.const 2))) (i32.const 0x40000000))
    (i32.store offset=4 (i32.load offset=40 (local.get $c)) (local.get $offsets))
    (i32.const 0))
  (func (export "wf_fn_decreasing_offsets") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    ;; column 0 must be utf8/binary with >= 2 rows: offsets 0, 5, 1, ...
    (local $c i32) (local $offsets i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $c (call $own_child0 (local.get $oa)))
    (local.set $offsets (call $alloc
      (i32.shl (i32.add (i32.wrap_i64 (i64.load (local.get $c))) (i32.const 1)) (i32.const 2)) (i32.const 4)))
    (i32.store (local.get $offsets) (i32.const 0))
    (i32.store offset=4 (local.get $offsets) (i32.const 5))
    (i32.store offset=8 (local.get $offsets) (i32.const 1))
    (i32.store offset=4 (i32.load offset=40 (local.get $c)) (local.get $offsets))
    (i32.const 0))
  (func (export "wf_fn_bad_format") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32) (result i32)
    ;; the output schema gets a private child 0 whose format is "q" (no such type)
    (local $children i32) (local $n i32) (local $s i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (local.set $n (i32.wrap_i64 (i64.load offset=24 (local.get $os))))
    (local.set $children (call $alloc (i32.shl (local.get $n) (i32.const 2)) (i32.const 4)))
    (memory.copy (local.get $children) (i32.load offset=32 (local.get $os)) (i32.shl (local.get $n) (i32.const 2)))
    (local.set $s (call $alloc (i32.const 48) (i32.const 8)))
    (memory.copy (local.get $s) (i32.load (local.get $children)) (i32.const 48))
    (i32.store (local.get $s) (i32.const 3456))
    (i32.store (local.get $children) (local.get $s))
    (i32.store offset=32 (local.get $os) (local.get $children))
    (i32.const 0))
  (func (export "wf_fn_garbage") (param i32 i32) (param $os i32) (param $oa i32) (result i32)
    ;; pseudo-random bytes in both output structs, release forced non-zero
    (local $i i32) (local $x i32)
    (local.set $x (i32.const 0x12345678))
    (loop $fill
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store8 (i32.add (local.get $os) (local.get $i)) (i32.shr_u (local.get $x) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 112))))
    (i32.store offset=52 (local.get $oa) (i32.const 1))
    (i32.const 0))
)
