"""Every bad request gets a readable Flight error (flight-protocol.md, "Errors").

How pyarrow surfaces each Flight/gRPC status (checked against pyarrow 25):

    INVALID_ARGUMENT    -> pyarrow.ArrowInvalid            ("Flight returned invalid argument error")
    NOT_FOUND           -> pyarrow.ArrowKeyError           ("Flight returned not found error")
    UNIMPLEMENTED       -> pyarrow.ArrowNotImplementedError
    INTERNAL            -> pyarrow.flight.FlightInternalError
    RESOURCE_EXHAUSTED  -> pyarrow.ArrowInvalid            ("gRPC returned resource exhausted error")

Only INTERNAL is a `pyarrow.flight.FlightError`; the others are plain Arrow exceptions.
"""

import decimal
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

from conftest import (assert_error, command, compile_wat, do_action, exchange, path, register,
                      server_message)

INVALID_ARGUMENT = pa.ArrowInvalid
NOT_FOUND = pa.ArrowKeyError
UNIMPLEMENTED = pa.ArrowNotImplementedError
INTERNAL = flight.FlightInternalError
RESOURCE_EXHAUSTED = pa.ArrowInvalid
TIMED_OUT = flight.FlightTimedOutError

INT64 = pa.table({"x": pa.array([1, None, 3], pa.int64())})


@pytest.fixture(scope="module")
def add_one(client, example_wasm):
    register(client, "err_add_one", example_wasm["add_one"])
    return "err_add_one"


@pytest.fixture(scope="module")
def line_total(client, example_wasm):
    register(client, "err_line_total", example_wasm["line_total"])
    return "err_line_total"


def check_still_serving(client, module):
    result = exchange(client, path(module, "add_one"), INT64)
    assert result.column("x").to_pylist() == [2, None, 4]


# ------------------------------------------------------------------------------------------
# Descriptors
# ------------------------------------------------------------------------------------------

def test_unknown_module(client):
    with pytest.raises(NOT_FOUND) as e:
        exchange(client, path("no_such_module", "add_one"), INT64)
    assert_error(e, "not found", "no module named 'no_such_module'")


def test_unknown_module_in_get_flight_info(client):
    with pytest.raises(NOT_FOUND) as e:
        client.get_flight_info(path("no_such_module", "add_one"))
    assert_error(e, "not found", "no_such_module")


def test_unknown_function(client, add_one):
    with pytest.raises(NOT_FOUND) as e:
        exchange(client, path(add_one, "nope"), INT64)
    assert_error(e, "not found", f"module '{add_one}' has no function 'nope'", "add_one")


def test_unknown_function_in_a_command(client, add_one):
    with pytest.raises(NOT_FOUND) as e:
        exchange(client, command(add_one, "nope", engine="interpreter"), INT64)
    assert_error(e, "not found", "has no function 'nope'")


def test_path_with_three_elements(client):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, flight.FlightDescriptor.for_path("a", "b", "c"), INT64)
    assert_error(e, "bad request", "[module, function]", "3 element(s)", "module.function")


def test_path_of_one_element_without_a_dot(client):
    # One element is the arrow-udf protocol's function name (engines.md): module.function.
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, flight.FlightDescriptor.for_path("a"), INT64)
    assert_error(e, "bad request", "function name 'a' must be module.function")


def test_command_with_an_unknown_key(client, add_one):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, command(add_one, "add_one", colour="blue"), INT64)
    assert_error(e, "bad request", "unknown field 'colour'")


def test_command_with_an_unknown_engine(client, add_one):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, command(add_one, "add_one", engine="jit"), INT64)
    assert_error(e, "bad request", "unknown engine 'jit'")


@pytest.mark.parametrize("body,fragment", [
    (b"[1, 2]", "must be a JSON object"),
    (b"not json", "bad request"),
    (b'{"module": "err_add_one"}', "missing required field 'function'"),
    (b'{"function": "add_one"}', "missing required field 'module'"),
], ids=["array", "not-json", "no-function", "no-module"])
def test_malformed_command(client, add_one, body, fragment):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, flight.FlightDescriptor.for_command(body), INT64)
    assert_error(e, "bad request", fragment)


def test_options_for_a_function_without_init(client, add_one):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, command(add_one, "add_one", options={"step": 2}), INT64)
    assert_error(e, "bad request", "takes no options")


# ------------------------------------------------------------------------------------------
# Input
# ------------------------------------------------------------------------------------------

# Every Arrow type reaches the guest (proto-docs/types.md); what Arrow Java itself cannot read
# faithfully is refused before the guest is called.
@pytest.mark.parametrize("column,fragments", [
    (pa.UnionArray.from_dense(pa.array([7, 3], pa.int8()), pa.array([0, 0], pa.int32()),
                              [pa.array([1]), pa.array(["x"])], ["a", "b"], [7, 3]),
     ["'odd_col'", "dense union with type ids [7, 3] not in ascending order"]),
    (pa.array([decimal.Decimal("1.5"), None], pa.decimal32(5, 2)),
     ["Arrow Java cannot read the input stream", "decimal"]),
], ids=["dense-union-out-of-order", "decimal32"])
def test_unsupported_input_type_names_the_column(client, add_one, column, fragments):
    table = pa.table({"x": pa.array([1, 2], pa.int64()), "odd_col": column})
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, path(add_one, "add_one"), table)
    assert_error(e, "bad request", *fragments)


def test_add_one_rejects_a_utf8_column(client, add_one):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, path(add_one, "add_one"), pa.table({"s": ["a", "b"]}))
    message = assert_error(e, "input rejected by guest", "column 0 ('s') is utf8, expected int64")
    assert message.startswith(f"input rejected by guest in {add_one}/add_one (aot) at batch 0: ")


def test_line_total_without_a_price_column(client, line_total):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, path(line_total, "line_total"),
                 pa.table({"id": [1, 2, 3], "qty": [1, 2, 3]}))
    assert_error(e, "input rejected by guest", "at batch 0", "no column named 'price'")


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------

def register_raw(client, body):
    return do_action(client, "register", body)


def test_register_with_invalid_base64(client):
    with pytest.raises(INVALID_ARGUMENT) as e:
        register_raw(client, {"name": "bad_b64", "wasm": "not base64!!"})
    assert_error(e, "bad request", "base64")


def test_register_garbage_bytes(client):
    with pytest.raises(INVALID_ARGUMENT) as e:
        register(client, "garbage", b"this is not a wasm module")
    assert_error(e, "module rejected", "not a valid WebAssembly module")
    assert "garbage" not in [m["name"] for m in do_action(client, "list")]


def test_register_truncated_wasm(client, example_wasm):
    with pytest.raises(INVALID_ARGUMENT) as e:
        register(client, "truncated", example_wasm["add_one"][:1000])
    assert_error(e, "module rejected")


@pytest.mark.parametrize("name", ["", "-starts-with-dash", "has space", "x" * 65, "ümlaut",
                                  "a/b", "../escape"])
def test_register_with_an_invalid_name(client, example_wasm, name):
    with pytest.raises(INVALID_ARGUMENT) as e:
        register(client, name, example_wasm["add_one"])
    assert_error(e, "bad request", "invalid module name")


def test_register_with_the_longest_valid_name(client, example_wasm):
    name = "A-z_0" + "9" * 59
    assert register(client, name, example_wasm["add_one"])["name"] == name
    do_action(client, "unregister", {"name": name})


@pytest.mark.parametrize("body,fragment", [
    ({"name": "x"}, "'wasm'"),
    ({"name": "x", "wasm": "", "extra": 1}, "unknown field 'extra'"),
    (b"{", "not valid JSON"),
], ids=["no-wasm", "unknown-field", "not-json"])
def test_malformed_register_body(client, body, fragment):
    with pytest.raises(INVALID_ARGUMENT) as e:
        register_raw(client, body)
    assert_error(e, "bad request", fragment)


@pytest.mark.parametrize("action,body", [
    ("list", {"verbose": True}),
    ("describe", {"name": "err_add_one", "verbose": True}),
    ("unregister", {"name": "err_add_one", "verbose": True}),
], ids=["list", "describe", "unregister"])
def test_unknown_field_in_an_action_body(client, add_one, action, body):
    with pytest.raises(INVALID_ARGUMENT) as e:
        do_action(client, action, body)
    assert_error(e, "bad request", "unknown field 'verbose'")
    assert do_action(client, "describe", {"name": add_one})["name"] == add_one


def test_unknown_action(client):
    with pytest.raises(INVALID_ARGUMENT) as e:
        do_action(client, "frobnicate", {})
    assert_error(e, "bad request", "unknown action 'frobnicate'",
                 "register", "list", "describe", "unregister")


@pytest.mark.parametrize("action", ["describe", "unregister"])
def test_describe_or_unregister_an_unknown_module(client, action):
    with pytest.raises(NOT_FOUND) as e:
        do_action(client, action, {"name": "never_registered"})
    assert_error(e, "not found", "never_registered")


def test_get_schema_of_a_function_without_declared_output(client, add_one):
    with pytest.raises(NOT_FOUND) as e:
        client.get_schema(path(add_one, "add_one"))
    assert_error(e, "not found", "declares no output schema")


# ------------------------------------------------------------------------------------------
# DoGet / DoPut
# ------------------------------------------------------------------------------------------

def test_do_get_is_unimplemented(client):
    with pytest.raises(UNIMPLEMENTED):
        client.do_get(flight.Ticket(b"anything")).read_all()


def test_do_put_is_unimplemented(client, add_one):
    # The server refuses at once: the error may surface from do_put itself or from the write.
    with pytest.raises(UNIMPLEMENTED):
        writer, _ = client.do_put(path(add_one, "add_one"), INT64.schema)
        writer.write_table(INT64)
        writer.close()


def test_do_get_message_follows_the_error_format(client):
    with pytest.raises(UNIMPLEMENTED) as e:
        client.do_get(flight.Ticket(b"anything")).read_all()
    assert_error(e, "unsupported")


def test_do_put_message_follows_the_error_format(client, add_one):
    with pytest.raises(UNIMPLEMENTED) as e:
        writer, _ = client.do_put(path(add_one, "add_one"), INT64.schema)
        writer.write_table(INT64)
        writer.close()
    assert_error(e, "unsupported")


# ------------------------------------------------------------------------------------------
# Guest failures, through a small WAT guest (needs wat2wasm)
# ------------------------------------------------------------------------------------------

FAULTY_CATALOG = json.dumps({"functions": [
    {"name": "echo", "kind": "map", "export": "wf_fn_echo"},
    {"name": "trap", "kind": "map", "export": "wf_fn_trap"},
    {"name": "fail", "kind": "map", "export": "wf_fn_fail"},
    {"name": "reject", "kind": "map", "export": "wf_fn_reject"},
    {"name": "oom", "kind": "map", "export": "wf_fn_oom"},
    {"name": "bad_status", "kind": "map", "export": "wf_fn_bad_status"},
    {"name": "spin", "kind": "map", "export": "wf_fn_spin"},
    {"name": "picky", "kind": "map", "export": "wf_fn_echo", "init": "wf_init_picky"},
]}, separators=(",", ":"))
FAULTY_ERROR = "boom from the faulty guest"


def wat_string(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


# echo.wat plus functions that fail in each way the ABI allows. `picky` refuses any options
# other than {} in its init.
FAULTY_WAT = f"""
(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "{wat_string(FAULTY_CATALOG)}")
  (data (i32.const 3072) "{FAULTY_ERROR}")
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
  (func (export "wf_catalog") (result i64)
    (i64.or (i64.shl (i64.const {len(FAULTY_CATALOG.encode())}) (i64.const 32)) (i64.const 16)))
  (func (export "wf_last_error") (result i64)
    (i64.or (i64.shl (i64.const {len(FAULTY_ERROR.encode())}) (i64.const 32)) (i64.const 3072)))
  (func (export "wf_release") (param $s i32) (param $a i32)
    (i32.store offset=40 (local.get $s) (i32.const 0))
    (i32.store offset=52 (local.get $a) (i32.const 0)))
  (func (export "wf_fn_echo")
        (param $in_schema i32) (param $in_array i32) (param $out_schema i32) (param $out_array i32)
        (result i32)
    (memory.copy (local.get $out_schema) (local.get $in_schema) (i32.const 48))
    (memory.copy (local.get $out_array) (local.get $in_array) (i32.const 64))
    (i32.store offset=40 (local.get $out_schema) (i32.const 1))
    (i32.store offset=52 (local.get $out_array) (i32.const 1))
    (i32.const 0))
  (func (export "wf_fn_trap") (param i32 i32 i32 i32) (result i32) (unreachable))
  (func (export "wf_fn_fail") (param i32 i32 i32 i32) (result i32) (i32.const 2))
  (func (export "wf_fn_reject") (param i32 i32 i32 i32) (result i32) (i32.const 1))
  (func (export "wf_fn_oom") (param i32 i32 i32 i32) (result i32) (i32.const 3))
  (func (export "wf_fn_bad_status") (param i32 i32 i32 i32) (result i32) (i32.const 7))
  (func (export "wf_fn_spin") (param i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "wf_init_picky") (param $ptr i32) (param $len i32) (result i32)
    (i32.gt_u (local.get $len) (i32.const 2)))
)
"""


@pytest.fixture(scope="module")
def faulty(client, tmp_path_factory):
    register(client, "err_faulty", compile_wat(FAULTY_WAT, tmp_path_factory.mktemp("faulty")))
    return "err_faulty"


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_trap_is_internal(client, faulty, engine):
    with pytest.raises(INTERNAL) as e:
        exchange(client, command(faulty, "trap", engine=engine), INT64)
    assert_error(e, "trap", f"{faulty}/trap ({engine}) at batch 0")


def test_guest_execution_error_is_internal_with_the_guest_message(client, faulty):
    with pytest.raises(INTERNAL) as e:
        exchange(client, path(faulty, "fail"), INT64)
    assert_error(e, "guest error", FAULTY_ERROR)


def test_guest_invalid_input_status_is_invalid_argument(client, faulty):
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, path(faulty, "reject"), INT64)
    assert_error(e, "input rejected by guest", FAULTY_ERROR)


def test_guest_out_of_memory_status_is_resource_exhausted(client, faulty):
    with pytest.raises(RESOURCE_EXHAUSTED, match="resource exhausted") as e:
        exchange(client, path(faulty, "oom"), INT64)
    assert_error(e, "guest out of memory", FAULTY_ERROR)


def test_unknown_status_is_an_abi_violation(client, faulty):
    with pytest.raises(INTERNAL) as e:
        exchange(client, path(faulty, "bad_status"), INT64)
    assert_error(e, "ABI violation")


def test_a_kind_newer_than_the_modules_abi_is_refused_at_registration(client, tmp_path):
    # The faulty guest reports ABI 1.0; filter needs 1.2 (abi-v1.md, changelog).
    catalog = FAULTY_CATALOG.replace('"kind":"map","export":"wf_fn_echo"}',
                                     '"kind":"filter","export":"wf_fn_echo"}', 1)
    wat = FAULTY_WAT.replace(wat_string(FAULTY_CATALOG), wat_string(catalog)).replace(
        f"(i64.const {len(FAULTY_CATALOG.encode())})", f"(i64.const {len(catalog.encode())})")
    with pytest.raises(INVALID_ARGUMENT) as e:
        register(client, "err_old_filter", compile_wat(wat, tmp_path))
    assert_error(e, "module rejected", "needs ABI 1.2; the module reports ABI 1.0")


def test_init_receives_and_can_refuse_options(client, faulty):
    assert do_action(client, "describe", {"name": faulty})["functions"][-1]["takes_options"] is True
    result = exchange(client, command(faulty, "picky"), INT64)
    assert result.equals(INT64)
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, command(faulty, "picky", options={"mode": "strict"}), INT64)
    assert_error(e, "input rejected by guest", FAULTY_ERROR)


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_an_infinite_loop_times_out(client, faulty, engine):
    descriptor = command(faulty, "spin", engine=engine, limits={"call_timeout_ms": 300})
    with pytest.raises(TIMED_OUT) as e:
        exchange(client, descriptor, INT64)
    assert_error(e, "time limit exceeded", f"{faulty}/spin ({engine}) at batch 0",
                 "time limit of 300 ms")


def test_limits_above_the_servers_are_refused(client, faulty):
    descriptor = command(faulty, "echo", limits={"max_memory_pages": 10**6})
    with pytest.raises(INVALID_ARGUMENT) as e:
        exchange(client, descriptor, INT64)
    assert_error(e, "bad request", "more than the server allows")


def test_a_failed_session_does_not_affect_the_next(client, faulty):
    for _ in range(3):
        with pytest.raises(INTERNAL):
            exchange(client, path(faulty, "trap"), INT64)
        assert exchange(client, path(faulty, "echo"), INT64).equals(INT64)


# ------------------------------------------------------------------------------------------
# Limits
# ------------------------------------------------------------------------------------------

def test_guest_memory_cap_is_resource_exhausted(start_server, example_wasm):
    server = start_server("--max-memory-pages", "20")
    with flight.connect(server.location) as c:
        register(c, "capped", example_wasm["add_one"])
        big = pa.table({"x": pa.array(range(1_000_000), pa.int64())})  # 8 MB > 20 pages
        with pytest.raises(RESOURCE_EXHAUSTED, match="resource exhausted") as e:
            exchange(c, path("capped", "add_one"), big)
        assert_error(e, "limit exceeded", "20 pages")
        small = big.slice(0, 1000)
        assert exchange(c, path("capped", "add_one"), small).column("x").equals(
            pc.add(small.column("x"), 1))


# ------------------------------------------------------------------------------------------
# After all of the above
# ------------------------------------------------------------------------------------------

def test_error_messages_are_readable(client, add_one):
    with pytest.raises(NOT_FOUND) as e:
        exchange(client, path(add_one, "nope"), INT64)
    message = server_message(e.value)
    assert message.isprintable() and len(message) < 1000


def test_server_still_serves_a_good_exchange_after_the_errors(client, add_one):
    check_still_serving(client, add_one)
    big = pa.table({"x": pa.array(range(100_000), pa.int64())})
    result = exchange(client, path(add_one, "add_one"), big, max_chunksize=10_000)
    assert result.column("x").equals(pc.add(big.column("x"), 1))
