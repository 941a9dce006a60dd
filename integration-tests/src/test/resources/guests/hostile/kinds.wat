;; kinds: an ABI 1.2 module whose filter, table and aggregate functions each break a rule of
;; abi-v1.md section 6 on purpose; KindsHostileTest asserts each exact outcome on both engines.
;; $int32_output writes a one-column int32 batch (column name "row") of $n values at $data into
;; the output slots; its structs live at fixed addresses 1024..1400.
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  (data (i32.const 16)
    "{\"functions\":["
    "{\"name\":\"forever\",\"kind\":\"table\",\"export\":\"wf_fn_forever\"},"
    "{\"name\":\"more_from_map\",\"kind\":\"map\",\"export\":\"wf_fn_forever\"},"
    "{\"name\":\"finish_traps\",\"kind\":\"aggregate\",\"export\":\"wf_fn_update\",\"finish\":\"wf_finish_trap\"},"
    "{\"name\":\"finish_forever\",\"kind\":\"aggregate\",\"export\":\"wf_fn_update\",\"finish\":\"wf_finish_forever\"},"
    "{\"name\":\"update_traps\",\"kind\":\"aggregate\",\"export\":\"wf_fn_update_trap\",\"finish\":\"wf_finish_trap\"},"
    "{\"name\":\"out_of_range\",\"kind\":\"filter\",\"export\":\"wf_fn_out_of_range\"},"
    "{\"name\":\"not_increasing\",\"kind\":\"filter\",\"export\":\"wf_fn_not_increasing\"},"
    "{\"name\":\"two_columns\",\"kind\":\"filter\",\"export\":\"wf_fn_two_columns\"},"
    "{\"name\":\"bad_row_index\",\"kind\":\"table\",\"export\":\"wf_fn_out_of_range\",\"row_index\":\"row\"}"
    "]}\00")
  ;; formats and names
  (data (i32.const 900) "+s\00")
  (data (i32.const 904) "i\00")
  (data (i32.const 908) "row\00")
  ;; int32 values: [0, 99] (out of range for a small batch) and [1, 0] (decreasing)
  (data (i32.const 960) "\00\00\00\00\63\00\00\00")
  (data (i32.const 968) "\01\00\00\00\00\00\00\00")

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "wf_abi_version") (result i32) (i32.const 65538))
  (func (export "wf_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "wf_free") (param i32 i32 i32))
  (func (export "wf_catalog") (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (call $strlen (i32.const 16))) (i64.const 32))
            (i64.const 16)))
  (func (export "wf_last_error") (result i64) (i64.const 0))
  (func (export "wf_release") (param $s i32) (param $a i32)
    (i32.store offset=40 (local.get $s) (i32.const 0))
    (i32.store offset=52 (local.get $a) (i32.const 0)))

  (func $echo (param $is i32) (param $ia i32) (param $os i32) (param $oa i32)
    (memory.copy (local.get $os) (local.get $is) (i32.const 48))
    (memory.copy (local.get $oa) (local.get $ia) (i32.const 64))
    (i32.store offset=40 (local.get $os) (i32.const 1))
    (i32.store offset=52 (local.get $oa) (i32.const 1)))

  ;; One int32 column "row" of $n values at $data, repeated $cols times (the same child).
  (func $int32_output (param $os i32) (param $oa i32) (param $data i32) (param $n i32)
        (param $cols i32)
    ;; child schema at 1024, child array at 1088, buffers [0, data] at 1152,
    ;; children pointer arrays at 1160 (schema) and 1168 (array), top buffers [0] at 1176
    (memory.fill (i32.const 1024) (i32.const 0) (i32.const 160))
    (i32.store (i32.const 1024) (i32.const 904))
    (i32.store offset=4 (i32.const 1024) (i32.const 908))
    (i64.store offset=16 (i32.const 1024) (i64.const 2))
    (i32.store offset=40 (i32.const 1024) (i32.const 1))
    (i64.store (i32.const 1088) (i64.extend_i32_u (local.get $n)))
    (i64.store offset=24 (i32.const 1088) (i64.const 2))
    (i32.store offset=40 (i32.const 1088) (i32.const 1152))
    (i32.store offset=52 (i32.const 1088) (i32.const 1))
    (i32.store offset=4 (i32.const 1152) (local.get $data))
    (i32.store (i32.const 1160) (i32.const 1024))
    (i32.store offset=4 (i32.const 1160) (i32.const 1024))
    (i32.store (i32.const 1168) (i32.const 1088))
    (i32.store offset=4 (i32.const 1168) (i32.const 1088))
    (i32.store (local.get $os) (i32.const 900))
    (i64.store offset=24 (local.get $os) (i64.extend_i32_u (local.get $cols)))
    (i32.store offset=32 (local.get $os) (i32.const 1160))
    (i32.store offset=40 (local.get $os) (i32.const 1))
    (i64.store (local.get $oa) (i64.extend_i32_u (local.get $n)))
    (i64.store offset=24 (local.get $oa) (i64.const 1))
    (i64.store offset=32 (local.get $oa) (i64.extend_i32_u (local.get $cols)))
    (i32.store offset=40 (local.get $oa) (i32.const 1176))
    (i32.store offset=44 (local.get $oa) (i32.const 1168))
    (i32.store offset=52 (local.get $oa) (i32.const 1)))

  ;; A table function that always has more: the input again, forever.
  (func (export "wf_fn_forever") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32)
        (result i32)
    (call $echo (local.get $is) (local.get $ia) (local.get $os) (local.get $oa))
    (i32.const 256))
  (func (export "wf_fn_update") (param i32 i32) (result i32) (i32.const 0))
  (func (export "wf_fn_update_trap") (param i32 i32) (result i32) (unreachable))
  (func (export "wf_finish_trap") (param i32 i32) (result i32) (unreachable))
  ;; finish that emits a one-row batch and asks for more, forever
  (func (export "wf_finish_forever") (param $os i32) (param $oa i32) (result i32)
    (call $int32_output (local.get $os) (local.get $oa) (i32.const 960) (i32.const 1)
      (i32.const 1))
    (i32.const 256))
  ;; filters: selections [0, 99], [1, 0], and two columns
  (func (export "wf_fn_out_of_range") (param i32 i32) (param $os i32) (param $oa i32)
        (result i32)
    (call $int32_output (local.get $os) (local.get $oa) (i32.const 960) (i32.const 2)
      (i32.const 1))
    (i32.const 0))
  (func (export "wf_fn_not_increasing") (param i32 i32) (param $os i32) (param $oa i32)
        (result i32)
    (call $int32_output (local.get $os) (local.get $oa) (i32.const 968) (i32.const 2)
      (i32.const 1))
    (i32.const 0))
  (func (export "wf_fn_two_columns") (param i32 i32) (param $os i32) (param $oa i32)
        (result i32)
    (call $int32_output (local.get $os) (local.get $oa) (i32.const 960) (i32.const 1)
      (i32.const 2))
    (i32.const 0))
)
