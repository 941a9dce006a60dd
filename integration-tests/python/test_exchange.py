"""Registration, discovery and DoExchange against a live server, with the example guests."""

import hashlib
import json
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

from conftest import command, do_action, exchange, exchange_batches, path, register

# line_total's declared output (guest-sdk-rust/examples/line_total): id passed through, total.
LINE_TOTAL_OUTPUT = [{"name": "id", "format": "l", "nullable": True},
                     {"name": "total", "format": "g", "nullable": True}]
LINE_TOTAL_SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=True),
                               pa.field("total", pa.float64(), nullable=True)])
EXPECTED_OUTPUT = {"add_one": None, "upper": None, "line_total": LINE_TOTAL_OUTPUT}


@pytest.fixture(scope="module")
def modules(client, example_wasm):
    """Registers the three examples as ex_<name>; returns {example name: module name}."""
    names = {}
    for name, wasm in example_wasm.items():
        register(client, f"ex_{name}", wasm)
        names[name] = f"ex_{name}"
    return names


def int64_table(rows, null_every=10):
    """Column x: int64 values spread over the whole range (incl. min and max), every
    `null_every`-th row null (10% nulls by default)."""
    values = [None if i % null_every == 3 else (i * 2654435761 * 1000003) % 2**64 - 2**63
              for i in range(rows)]
    values[0], values[1] = 2**63 - 1, -(2**63)
    return pa.table({"x": pa.array(values, pa.int64())})


def line_items(rows):
    """Columns id, qty (int64), price (float64) and an ignored note, in an order unlike the
    function's, with nulls in id, qty and price at different rows."""
    return pa.table({
        "note": pa.array([f"item {i}" for i in range(rows)], pa.utf8()),
        "id": pa.array([None if i % 13 == 4 else 1000 + i for i in range(rows)], pa.int64()),
        "qty": pa.array([None if i % 7 == 0 else i % 100 - 20 for i in range(rows)], pa.int64()),
        "price": pa.array([None if i % 11 == 5 else i * 0.25 - 3.5 for i in range(rows)],
                          pa.float64()),
    })


def check_line_total(table, result):
    """result == line_total(table): the declared schema, id passed through, total = price * qty."""
    assert result.schema == LINE_TOTAL_SCHEMA
    assert result.num_rows == table.num_rows
    assert result.column("id").equals(table.column("id"))
    expected = pc.multiply(table.column("price"), pc.cast(table.column("qty"), pa.float64()))
    assert result.column("total").equals(expected)


# ------------------------------------------------------------------------------------------
# Actions
# ------------------------------------------------------------------------------------------

def test_list_actions_has_the_six_actions(client):
    actions = {a.type: a.description for a in client.list_actions()}
    assert set(actions) == {"register", "list", "describe", "unregister", "set-default",
                            "protocol_version"}
    assert all(description.strip() for description in actions.values())


@pytest.mark.parametrize("name", ["add_one", "upper", "line_total"])
def test_register_returns_the_module_description(client, example_wasm, name):
    wasm = example_wasm[name]
    info = register(client, f"reg_{name}", wasm)

    assert info["name"] == f"reg_{name}"
    assert info["sha256"] == hashlib.sha256(wasm).hexdigest()
    assert info["size_bytes"] == len(wasm)
    assert info["abi_version"] == "1.2"  # the SDK speaks ABI 1.2 (every Arrow type, every kind)
    assert info["replaced"] is False
    assert isinstance(info["compile_ms"], int) and info["compile_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", info["registered_at"])
    assert info["functions"] == [{"name": name, "kind": "map", "takes_options": False,
                                  "input": None, "output": EXPECTED_OUTPUT[name]}]


def test_list_is_sorted_and_matches_describe(client, modules):
    listed = do_action(client, "list")
    assert isinstance(listed, list)
    names = [m["name"] for m in listed]
    assert names == sorted(names)
    assert set(modules.values()) <= set(names)
    assert do_action(client, "list", {}) == listed
    for module in listed:
        assert do_action(client, "describe", {"name": module["name"]}) == module


def test_describe_reports_the_catalog(client, modules, example_wasm):
    info = do_action(client, "describe", {"name": modules["line_total"]})
    assert info["name"] == modules["line_total"]
    assert info["sha256"] == hashlib.sha256(example_wasm["line_total"]).hexdigest()
    assert info["functions"] == [{"name": "line_total", "kind": "map", "takes_options": False,
                                  "input": None, "output": LINE_TOTAL_OUTPUT}]
    assert "replaced" not in info


def test_unregister_removes_the_module(client, example_wasm):
    register(client, "tmp_unreg", example_wasm["add_one"])

    assert do_action(client, "unregister", {"name": "tmp_unreg"}) == {
        "name": "tmp_unreg", "unregistered": True, "versions": [1]}

    assert "tmp_unreg" not in [m["name"] for m in do_action(client, "list")]
    with pytest.raises(pa.ArrowKeyError, match="not found: no module named 'tmp_unreg'"):
        do_action(client, "describe", {"name": "tmp_unreg"})
    with pytest.raises(pa.ArrowKeyError, match="not found"):
        exchange(client, path("tmp_unreg", "add_one"), int64_table(3))


def test_reregister_same_bytes_is_a_noop_and_other_bytes_replace(client, example_wasm):
    first = register(client, "tmp_replace", example_wasm["add_one"])
    assert first["replaced"] is False

    again = register(client, "tmp_replace", example_wasm["add_one"])
    assert again["replaced"] is False
    assert again["sha256"] == first["sha256"]

    replaced = register(client, "tmp_replace", example_wasm["upper"])
    assert replaced["replaced"] is True
    assert replaced["sha256"] == hashlib.sha256(example_wasm["upper"]).hexdigest()
    assert [f["name"] for f in replaced["functions"]] == ["upper"]

    # New sessions use the new module.
    out = exchange(client, path("tmp_replace", "upper"), pa.table({"s": ["abc"]}))
    assert out.column("s").to_pylist() == ["ABC"]
    with pytest.raises(pa.ArrowKeyError, match="has no function 'add_one'"):
        exchange(client, path("tmp_replace", "add_one"), int64_table(3))


def test_a_running_session_keeps_its_module_across_replace_and_unregister(client, example_wasm):
    register(client, "tmp_running", example_wasm["add_one"])
    batch = int64_table(4).to_batches()[0]
    expected = pc.add(batch.column(0), 1)
    writer, reader = client.do_exchange(path("tmp_running", "add_one"))
    writer.begin(batch.schema)

    def round_trip():
        writer.write_batch(batch)
        assert reader.read_chunk().data.column(0).equals(expected)

    round_trip()
    assert register(client, "tmp_running", example_wasm["upper"])["replaced"] is True
    round_trip()  # still add_one
    do_action(client, "unregister", {"name": "tmp_running"})
    round_trip()  # still there for this session
    writer.done_writing()
    assert reader.read_all().num_rows == 0
    writer.close()


# ------------------------------------------------------------------------------------------
# Discovery
# ------------------------------------------------------------------------------------------

def test_list_flights_has_one_flight_per_function(client, modules, example_wasm):
    flights = {tuple(p.decode() for p in f.descriptor.path): f for f in client.list_flights()}
    for name, module in modules.items():
        info = flights[(module, name)]
        assert info.descriptor.descriptor_type == flight.DescriptorType.PATH
        assert info.endpoints == []
        meta = json.loads(info.app_metadata)
        assert meta["module"] == module
        assert meta["name"] == name
        assert meta["kind"] == "map"
        assert meta["sha256"] == hashlib.sha256(example_wasm[name]).hexdigest()
    assert flights[(modules["add_one"], "add_one")].schema == pa.schema([])
    assert flights[(modules["line_total"], "line_total")].schema == LINE_TOTAL_SCHEMA


def test_get_flight_info_and_schema_of_a_declared_output(client, modules):
    descriptor = path(modules["line_total"], "line_total")
    info = client.get_flight_info(descriptor)
    assert info.schema == LINE_TOTAL_SCHEMA
    assert json.loads(info.app_metadata)["output"] == LINE_TOTAL_OUTPUT
    assert client.get_schema(descriptor).schema == LINE_TOTAL_SCHEMA


# ------------------------------------------------------------------------------------------
# DoExchange with the examples
# ------------------------------------------------------------------------------------------

def test_add_one_over_a_million_rows_in_many_batches(client, modules):
    table = int64_table(1_000_003)
    batches = table.to_batches(max_chunksize=65_536)
    assert len(batches) >= 10

    result = exchange(client, path(modules["add_one"], "add_one"), table, max_chunksize=65_536)

    assert result.schema == table.schema
    assert result.num_rows == table.num_rows
    x = table.column("x")
    assert 0.09 < x.null_count / len(x) < 0.11
    expected = pc.add(x, 1)  # unchecked add wraps like the guest: max + 1 == min
    assert result.column("x").null_count == x.null_count
    assert result.column("x").equals(expected)
    assert result.column("x")[0].as_py() == -(2**63)


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_both_engines_via_a_command_descriptor(client, modules, engine):
    table = int64_table(10_000)
    descriptor = command(modules["add_one"], "add_one", engine=engine)

    result = exchange(client, descriptor, table, max_chunksize=2_500)

    assert result.column("x").equals(pc.add(table.column("x"), 1))


def test_concurrent_sessions_are_independent(client, modules):
    numbers = int64_table(3_000)
    words = pa.table({"s": pa.array([f"w{i}é" for i in range(3_000)])})
    sessions = []
    for module, function, table in [(modules["add_one"], "add_one", numbers),
                                    (modules["upper"], "upper", words),
                                    (modules["add_one"], "add_one", numbers)]:
        writer, reader = client.do_exchange(path(module, function))
        writer.begin(table.schema)
        sessions.append((writer, reader, table.to_batches(max_chunksize=500), []))
    for i in range(6):  # interleave the three sessions batch by batch
        for writer, reader, batches, outputs in sessions:
            writer.write_batch(batches[i])
            outputs.append(reader.read_chunk().data)
    for writer, reader, _, _ in sessions:
        writer.done_writing()
        assert reader.read_all().num_rows == 0
        writer.close()

    first, second, third = (pa.Table.from_batches(outputs) for *_, outputs in sessions)
    assert first.column("x").equals(pc.add(numbers.column("x"), 1))
    assert second.column("s").equals(pc.utf8_upper(words.column("s")))
    assert third.equals(first)


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_line_total_on_both_engines(client, modules, engine):
    table = line_items(5_000)
    result = exchange(client, command(modules["line_total"], "line_total", engine=engine),
                      table, max_chunksize=1_000)
    check_line_total(table, result)


def test_empty_options_are_accepted_by_a_function_without_init(client, modules):
    table = int64_table(5)
    result = exchange(client, command(modules["add_one"], "add_one", options={}), table)
    assert result.column("x").equals(pc.add(table.column("x"), 1))


UPPER_CASES = [
    ("hello", "HELLO"),
    ("", ""),
    (None, None),
    ("straße", "STRASSE"),        # one char becomes two: the output is longer than the input
    ("ǆemal", "ǄEMAL"),
    ("ﬁne", "FINE"),
    ("héllo wörld", "HÉLLO WÖRLD"),
    ("ελληνικά", "ΕΛΛΗΝΙΚΆ"),
    ("日本語", "日本語"),
    ("emoji 🎉 ok", "EMOJI 🎉 OK"),
    ("ALREADY UPPER", "ALREADY UPPER"),
    ("", ""),
    (None, None),
    ("mIxEd 123", "MIXED 123"),
]


def test_upper_handles_unicode_empty_strings_and_nulls(client, modules):
    table = pa.table({"name": pa.array([given for given, _ in UPPER_CASES], pa.utf8())})
    result = exchange(client, path(modules["upper"], "upper"), table, max_chunksize=4)
    assert result.schema == table.schema
    assert result.column("name").to_pylist() == [want for _, want in UPPER_CASES]


def test_upper_on_many_batches(client, modules):
    # Characters whose simple and full upper-case mappings agree, so pyarrow can check them.
    alphabet = "abcdefghijklmnopqrstuvwxyzéöñçø ABC-123_"
    values = [None if i % 10 == 0 else "".join(alphabet[(i * k) % len(alphabet)]
                                               for k in range(i % 17)) for i in range(50_000)]
    table = pa.table({"s": pa.array(values, pa.utf8())})

    result = exchange(client, path(modules["upper"], "upper"), table, max_chunksize=4_096)

    assert result.column("s").equals(pc.utf8_upper(table.column("s")))


def test_line_total_multiplies_by_column_name(client, modules):
    table = line_items(20_000)
    result = exchange(client, path(modules["line_total"], "line_total"), table,
                      max_chunksize=3_000)

    check_line_total(table, result)
    # total is null exactly where qty or price is null
    either_null = pc.or_(pc.is_null(table.column("qty")), pc.is_null(table.column("price")))
    assert pc.is_null(result.column("total")).equals(either_null)


# ------------------------------------------------------------------------------------------
# Sliced, empty and schema-only input
# ------------------------------------------------------------------------------------------

SLICES = [(3, 1000), (1, 77), (5, 13), (13, 400), (8, 64), (1001, 999)]


@pytest.mark.parametrize("offset,length", SLICES)
def test_sliced_int64_input(client, modules, offset, length):
    table = int64_table(3000, null_every=3).slice(offset, length)
    result = exchange(client, path(modules["add_one"], "add_one"), table)
    assert result.num_rows == length
    assert result.column("x").equals(pc.add(table.column("x"), 1))


@pytest.mark.parametrize("offset,length", SLICES)
def test_sliced_utf8_input(client, modules, offset, length):
    values = [None if i % 5 == 2 else f"row{i}-é" * (i % 4) for i in range(3000)]
    table = pa.table({"s": pa.array(values, pa.utf8())}).slice(offset, length)
    result = exchange(client, path(modules["upper"], "upper"), table)
    assert result.column("s").equals(pc.utf8_upper(table.column("s")))


@pytest.mark.parametrize("offset,length", SLICES)
def test_sliced_multi_column_input(client, modules, offset, length):
    table = line_items(3000).slice(offset, length)
    result = exchange(client, path(modules["line_total"], "line_total"), table, max_chunksize=50)
    check_line_total(table, result)


EMPTY_CASES = [
    ("add_one", pa.schema([("x", pa.int64())]), pa.schema([("x", pa.int64())])),
    ("upper", pa.schema([("s", pa.utf8())]), pa.schema([("s", pa.utf8())])),
    ("line_total", pa.schema([("id", pa.int64()), ("qty", pa.int64()), ("price", pa.float64())]),
     LINE_TOTAL_SCHEMA),
]
EMPTY_IDS = [case[0] for case in EMPTY_CASES]


def empty_batch(schema):
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


@pytest.mark.parametrize("example,schema,expected_schema", EMPTY_CASES, ids=EMPTY_IDS)
def test_zero_row_batches(client, modules, example, schema, expected_schema):
    result = exchange_batches(client, path(modules[example], example), schema,
                              [empty_batch(schema), empty_batch(schema)])
    assert result.num_rows == 0
    assert result.schema == expected_schema


@pytest.mark.parametrize("example,schema,expected_schema", EMPTY_CASES, ids=EMPTY_IDS)
def test_zero_row_table(client, modules, example, schema, expected_schema):
    table = schema.empty_table()
    assert table.to_batches() == []  # so it travels as a schema without batches
    result = exchange(client, path(modules[example], example), table)
    assert result.num_rows == 0
    assert result.schema == expected_schema


def test_zero_row_batches_between_others(client, modules):
    table = int64_table(10)
    schema = table.schema
    batches = [empty_batch(schema), *table.slice(0, 4).to_batches(), empty_batch(schema),
               *table.slice(4).to_batches(), empty_batch(schema)]
    result = exchange_batches(client, path(modules["add_one"], "add_one"), schema, batches)
    assert result.column("x").equals(pc.add(table.column("x"), 1))


def exchange_schema_only(client, descriptor, schema):
    """Opens an exchange, sends a schema and no batch, returns what the server sends back."""
    writer, reader = client.do_exchange(descriptor)
    writer.begin(schema)
    writer.done_writing()
    result = reader.read_all()
    writer.close()
    return result


@pytest.mark.parametrize("example,schema,expected_schema", EMPTY_CASES, ids=EMPTY_IDS)
def test_schema_but_no_batches(client, modules, example, schema, expected_schema):
    result = exchange_schema_only(client, path(modules[example], example), schema)
    assert result.num_rows == 0
    assert result.schema == expected_schema


# ------------------------------------------------------------------------------------------
# Every ABI 1.0 type, through the WAT echo guest (needs wat2wasm)
# ------------------------------------------------------------------------------------------

def all_types_table(rows):
    def maybe(i, value):
        return None if i % 6 == 1 else value
    ints = {f"{sign}int{bits}": getattr(pa, f"{sign}int{bits}")()
            for sign in ("", "u") for bits in (8, 16, 32, 64)}
    columns = {}
    for name, arrow_type in ints.items():
        bits = arrow_type.bit_width
        low = 0 if name.startswith("u") else -(2**(bits - 1))
        high = low + 2**bits - 1
        columns[name] = pa.array(
            [maybe(i, low + (i * 2654435761) % (high - low + 1)) for i in range(rows)], arrow_type)
    columns["float32"] = pa.array([maybe(i, i * 0.5 - 7) for i in range(rows)], pa.float32())
    columns["float64"] = pa.array([maybe(i, i / 3 - 1e10) for i in range(rows)], pa.float64())
    columns["bool"] = pa.array([maybe(i, i % 3 == 0) for i in range(rows)], pa.bool_())
    columns["utf8"] = pa.array([maybe(i, "ü" * (i % 5)) for i in range(rows)], pa.utf8())
    columns["binary"] = pa.array([maybe(i, bytes(range(i % 9))) for i in range(rows)], pa.binary())
    columns["no_nulls"] = pa.array(range(rows), pa.int32())
    return pa.table(columns)


@pytest.fixture(scope="module")
def echo_module(client, echo_wasm):
    register(client, "ex_echo", echo_wasm)
    return "ex_echo"


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_echo_returns_every_abi_type_unchanged(client, echo_module, engine):
    table = all_types_table(2_000)
    result = exchange(client, command(echo_module, "echo", engine=engine), table,
                      max_chunksize=300)
    assert result.equals(table)


@pytest.mark.parametrize("offset,length", SLICES)
def test_echo_sliced_every_abi_type(client, echo_module, offset, length):
    table = all_types_table(3_000).slice(offset, length)
    result = exchange(client, path(echo_module, "echo"), table, max_chunksize=100)
    assert result.equals(table)


def test_echo_zero_columns(client, echo_module):
    table = pa.table({"x": pa.array([1, 2, 3])}).drop_columns(["x"])
    result = exchange(client, path(echo_module, "echo"), table)
    assert result.schema == pa.schema([])
    assert result.num_rows == 3


# ------------------------------------------------------------------------------------------
# Persistence
# ------------------------------------------------------------------------------------------

def test_registered_modules_survive_a_restart(start_server, tmp_path, example_wasm):
    data_dir = tmp_path / "data"
    first = start_server(data_dir=data_dir)
    with flight.connect(first.location) as c:
        registered = register(c, "persisted", example_wasm["add_one"])
    first.stop()
    assert (data_dir / "modules" / "persisted" / "1.wasm").read_bytes() == example_wasm["add_one"]

    second = start_server(data_dir=data_dir)
    with flight.connect(second.location) as c:
        info = do_action(c, "describe", {"name": "persisted"})
        assert info["sha256"] == registered["sha256"]
        table = int64_table(100)
        result = exchange(c, path("persisted", "add_one"), table)
        assert result.column("x").equals(pc.add(table.column("x"), 1))
