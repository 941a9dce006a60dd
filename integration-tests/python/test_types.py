"""Every Arrow type across the guest boundary, from pyarrow (proto-docs/types.md).

One table holds every type wasm-flight carries — nested ones, with nulls, field and schema
metadata, dictionaries (nested values, ordered), sliced parents and children — and must come
back equal (`Table.equals`, schema metadata included) through two guests on both engines:

- `echo` (WAT, needs wat2wasm): hands the host's own input structs back, so the host's C Data
  writer and reader are tested end to end;
- `identity` (guest-sdk-rust/examples/identity): rebuilds every column through the Rust SDK's
  views and builders.

Then what Arrow Java or Flight cannot carry, and the clear errors the client gets instead.
"""

import datetime
import decimal

import struct
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import assert_error, command, exchange, exchange_batches, register

ROWS = 64
ENGINES = ["aot", "interpreter"]


def nulls(values, every=5, first=2):
    return [None if i % every == first else v for i, v in enumerate(values)]


def mask(n, every=5, first=2):
    return pa.array([i % every == first for i in range(n)])


def float16_array(values, valid):
    """float16 without numpy: IEEE half bits packed by struct, a validity bitmap by hand."""
    bitmap = bytearray((len(values) + 7) // 8)
    for i, ok in enumerate(valid):
        if ok:
            bitmap[i // 8] |= 1 << (i % 8)
    data = struct.pack(f"<{len(values)}e", *values)
    return pa.Array.from_buffers(pa.float16(), len(values),
                                 [pa.py_buffer(bytes(bitmap)), pa.py_buffer(data)],
                                 null_count=valid.count(False))


def every_type_columns(n):
    """{name: (array, field metadata)} for every type, n rows each."""
    ints = list(range(n))
    cols = {}
    cols["null"] = pa.nulls(n)
    cols["bool"] = pa.array(nulls([i % 3 == 0 for i in ints]), pa.bool_())
    for bits in (8, 16, 32, 64):
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        cols[f"int{bits}"] = pa.array(nulls([lo if i == 0 else hi if i == 1 else i * 37 % 100 - 50
                                             for i in ints]), getattr(pa, f"int{bits}")())
        cols[f"uint{bits}"] = pa.array(nulls([2 ** bits - 1 if i == 0 else i * 3 for i in ints]),
                                       getattr(pa, f"uint{bits}")())
    cols["float16"] = float16_array([i / 4 - 3 for i in ints], [i % 5 != 2 for i in ints])
    cols["float32"] = pa.array(nulls([i * 0.5 - 7 for i in ints]), pa.float32())
    cols["float64"] = pa.array(nulls([float("inf") if i == 3 else i / 3 - 1e10 for i in ints]),
                               pa.float64())
    cols["decimal128"] = pa.array(nulls([decimal.Decimal(i * 1234567) / 1000 - 5 for i in ints]),
                                  pa.decimal128(38, 3))
    cols["decimal128_neg_scale"] = pa.array(nulls([decimal.Decimal(i * 100) for i in ints]),
                                            pa.decimal128(5, -2))
    cols["decimal256"] = pa.array(nulls([decimal.Decimal(10) ** 60 * i - 7 for i in ints]),
                                  pa.decimal256(76, 0))
    cols["date32"] = pa.array(nulls([datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 400)
                                     for i in ints]), pa.date32())
    cols["date64"] = pa.array(nulls([i * 86_400_000 for i in ints]), pa.date64())
    cols["time32_s"] = pa.array(nulls([i * 61 for i in ints]), pa.time32("s"))
    cols["time32_ms"] = pa.array(nulls([i * 61_001 for i in ints]), pa.time32("ms"))
    cols["time64_us"] = pa.array(nulls([i * 61_000_001 for i in ints]), pa.time64("us"))
    cols["time64_ns"] = pa.array(nulls([i * 61_000_000_001 for i in ints]), pa.time64("ns"))
    for unit in ("s", "ms", "us", "ns"):
        cols[f"timestamp_{unit}"] = pa.array(nulls([i * 10 ** 9 for i in ints]),
                                             pa.timestamp(unit))
        cols[f"timestamp_{unit}_tz"] = pa.array(nulls([-i * 10 ** 9 for i in ints]),
                                                pa.timestamp(unit, tz="Europe/Paris"))
        cols[f"duration_{unit}"] = pa.array(nulls([i * 1000 - 7 for i in ints]),
                                            pa.duration(unit))
    cols["interval_mdn"] = pa.array(nulls([pa.MonthDayNano([i, -i, i * 1000]) for i in ints]),
                                    pa.month_day_nano_interval())
    texts = [("é" * (i % 4)) + f"row {i}" + ("✓" * (i % 7)) for i in ints]
    blobs = [bytes([i % 256]) * (i % 20) for i in ints]
    cols["utf8"] = pa.array(nulls(texts), pa.utf8())
    cols["large_utf8"] = pa.array(nulls(texts), pa.large_utf8())
    cols["binary"] = pa.array(nulls(blobs), pa.binary())
    cols["large_binary"] = pa.array(nulls(blobs), pa.large_binary())
    cols["fixed_size_binary"] = pa.array(nulls([bytes([i % 256]) * 5 for i in ints]),
                                         pa.binary(5))
    cols["utf8_view"] = pa.array(nulls(texts), pa.string_view())
    cols["binary_view"] = pa.array(nulls(blobs), pa.binary_view())

    small = pa.array(nulls([i % 11 for i in range(3 * n + 5)], every=4), pa.int32())
    offsets = pa.array([min(3 * i // 2, 3 * n + 5) for i in range(n + 1)], pa.int32())
    cols["list"] = pa.ListArray.from_arrays(offsets, small, mask=mask(n))
    cols["list_sliced_child"] = pa.ListArray.from_arrays(offsets, small.slice(5))
    cols["large_list"] = pa.LargeListArray.from_arrays(offsets.cast(pa.int64()), small,
                                                       mask=mask(n, 7))
    cols["fixed_size_list"] = pa.FixedSizeListArray.from_arrays(
        pa.array(nulls([f"s{i}" for i in range(2 * n)], every=3)), 2, mask=mask(n))
    view_offsets = pa.array([(i * 7) % (2 * n) for i in ints], pa.int32())
    view_sizes = pa.array([0 if i % 5 == 2 else i % 4 for i in ints], pa.int32())
    cols["list_view"] = pa.ListViewArray.from_arrays(view_offsets, view_sizes, small,
                                                     mask=mask(n))
    cols["large_list_view"] = pa.LargeListViewArray.from_arrays(
        view_offsets.cast(pa.int64()), view_sizes.cast(pa.int64()), small)
    cols["struct"] = pa.StructArray.from_arrays(
        [cols["int32"], cols["utf8"].slice(0), cols["list"]],
        fields=[pa.field("a", pa.int32(), metadata={"unit": "m"}),
                pa.field("b", pa.utf8(), nullable=True),
                pa.field("c", pa.list_(pa.int32()))],
        mask=mask(n, 6))
    keys = pa.array([f"k{i % 7}" for i in range(2 * n)], pa.utf8())
    values = pa.array(nulls([i * 1.5 for i in range(2 * n)], every=3), pa.float64())
    map_offsets = pa.array([min(2 * i, 2 * n) if i % 6 != 4 or i == n else None
                            for i in range(n + 1)], pa.int32())
    cols["map"] = pa.MapArray.from_arrays(map_offsets, keys, values)
    types = pa.array([i % 3 for i in ints], pa.int8())
    dense_offsets = pa.array([i // 3 for i in ints], pa.int32())
    third = (n + 2) // 3
    cols["dense_union"] = pa.UnionArray.from_dense(
        types, dense_offsets,
        [pa.array(nulls(list(range(third)), every=4), pa.int64()),
         pa.array([f"u{i}" for i in range(third)], pa.utf8()),
         pa.StructArray.from_arrays([pa.array(range(third), pa.int16())], names=["x"])],
        ["i", "s", "st"])
    cols["sparse_union"] = pa.UnionArray.from_sparse(
        pa.array([[5, 9, 1][i % 3] for i in ints], pa.int8()),
        [pa.array(range(n), pa.float64()), pa.array(nulls(texts), pa.utf8()),
         pa.ListArray.from_arrays(offsets, small)],
        ["f", "t", "l"], [5, 9, 1])
    cols["dictionary"] = pa.DictionaryArray.from_arrays(
        pa.array(nulls([i % 4 for i in ints]), pa.int8()),
        pa.array(["zero", "one", None, "three"]))
    cols["dictionary_ordered_u16"] = pa.DictionaryArray.from_arrays(
        pa.array([i % 3 for i in ints], pa.uint16()), pa.array([10.5, -1.0, 3.25]), ordered=True)
    cols["dictionary_nested_values"] = pa.DictionaryArray.from_arrays(
        pa.array(nulls([i % 2 for i in ints], every=7), pa.int64()),
        pa.array([[1, 2], None], pa.list_(pa.int32())))
    cols["run_end_encoded"] = pa.RunEndEncodedArray.from_arrays(
        pa.array(list(range(3, n + 1, 3)) + ([n] if n % 3 else []), pa.int32()),
        pa.array(nulls([f"run{i}" for i in range((n + 2) // 3)], every=4), pa.utf8()))
    cols["deep"] = pa.ListArray.from_arrays(
        offsets, pa.StructArray.from_arrays(
            [pa.MapArray.from_arrays(pa.array([min(i, 3 * n + 5) for i in range(3 * n + 6)],
                                              pa.int32()),
                                     pa.array([f"k{i}" for i in range(3 * n + 5)]),
                                     pa.array([[i % 100] for i in range(3 * n + 5)],
                                              pa.list_(pa.int8())))],
            names=["m"]))
    return cols


def every_type_table(n=ROWS):
    cols = every_type_columns(n)
    fields = [pa.field(name, arr.type, metadata={"column": name} if i % 4 == 0 else None)
              for i, (name, arr) in enumerate(cols.items())]
    schema = pa.schema(fields, metadata={"origin": "test_types.py", "rows": str(n)})
    return pa.Table.from_arrays(list(cols.values()), schema=schema)


@pytest.fixture(scope="module")
def guests(client, echo_wasm, examples_dir):
    """{guest name: module name}; identity only when it is built."""
    register(client, "types_echo", echo_wasm)
    out = {"echo": "types_echo"}
    identity = examples_dir / "identity.wasm"
    if identity.is_file():
        register(client, "types_identity", identity.read_bytes())
        out["identity"] = "types_identity"
    return out


def guest_module(guests, guest):
    if guest not in guests:
        pytest.skip(f"the {guest} example guest is not built (guest-sdk-rust/examples/{guest})")
    return guests[guest]


def check_equal(result, expected):
    assert result.schema.equals(expected.schema, check_metadata=True), (
        f"schema differs:\n{result.schema}\n---\n{expected.schema}")
    for name in expected.column_names:
        assert result.column(name).equals(expected.column(name)), f"column {name} differs"
    assert result.equals(expected)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("guest", ["echo", "identity"])
def test_every_type_comes_back_equal(client, guests, guest, engine):
    table = every_type_table()
    result = exchange(client, command(guest_module(guests, guest), guest, engine=engine), table,
                      max_chunksize=20)
    check_equal(result, table)


@pytest.mark.parametrize("guest", ["echo", "identity"])
@pytest.mark.parametrize("offset,length", [(0, 0), (1, 30), (7, 50), (13, 1), (63, 1)])
def test_every_type_sliced(client, guests, guest, offset, length):
    table = every_type_table().slice(offset, length)
    # An empty slice still sends one (empty) batch, so the guest sees every type with length 0.
    batches = table.to_batches(max_chunksize=17) or [every_type_table().to_batches()[0].slice(0, 0)]
    result = exchange_batches(client, command(guest_module(guests, guest), guest), table.schema,
                              batches)
    check_equal(result, table)


@pytest.mark.parametrize("guest", ["echo", "identity"])
def test_every_type_one_column_at_a_time(client, guests, guest):
    """Each type alone (a failure names the type), sliced so every child has an offset."""
    table = every_type_table(40).slice(3, 30)
    module = guest_module(guests, guest)
    for name in table.column_names:
        one = table.select([name])
        result = exchange(client, command(module, guest), one, max_chunksize=11)
        check_equal(result, one)


# ------------------------------------------------------------------------------------------
# What Arrow Java or Flight cannot carry: clear errors, never a silent conversion
# ------------------------------------------------------------------------------------------

def test_output_dictionary_change_is_refused(client, guests):
    """A Flight stream written by Arrow Java sends its dictionaries once: a guest whose output
    dictionary changes between batches is refused, naming the column."""
    schema = pa.schema([pa.field("d", pa.dictionary(pa.int8(), pa.utf8()))])
    first = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()),
                                                            pa.array(["a", "b"]))],
                            schema=schema)
    second = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()),
                                                             pa.array(["c", "d"]))],
                             schema=schema)
    with pytest.raises(flight.FlightInternalError) as e:
        exchange_batches(client, command(guests["echo"], "echo"), schema, [first, second])
    assert_error(e, "ABI violation", "at batch 1", "output column 0 ('d')",
                 "the dictionary changed")


def test_same_dictionary_across_batches_is_fine(client, guests):
    schema = pa.schema([pa.field("d", pa.dictionary(pa.int8(), pa.utf8()))])
    dictionary = pa.array(["a", "b", "c"])
    batches = [pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([i % 3, 2], pa.int8()),
                                                               dictionary)], schema=schema)
               for i in range(3)]
    result = exchange_batches(client, command(guests["echo"], "echo"), schema, batches)
    assert result.equals(pa.Table.from_batches(batches))


@pytest.mark.parametrize("arrow_type", [pa.decimal32(5, 2), pa.decimal64(12, 2)],
                         ids=["decimal32", "decimal64"])
def test_decimal32_and_64_are_refused(client, guests, arrow_type):
    table = pa.table({"x": pa.array([decimal.Decimal("1.25"), None], arrow_type)})
    with pytest.raises(pa.ArrowInvalid) as e:
        exchange(client, command(guests["echo"], "echo"), table)
    assert_error(e, "bad request")


def test_zero_width_fixed_size_binary_is_refused(client, guests):
    """Arrow Java divides by a fixed-size binary's width: a clear bad request, not a hang."""
    table = pa.table({"x": pa.array([b"", None, b""], pa.binary(0))})
    with pytest.raises(pa.ArrowInvalid) as e:
        exchange(client, command(guests["echo"], "echo"), table)
    assert_error(e, "bad request", "Arrow Java cannot read the input stream")


def test_dense_union_with_descending_type_codes_is_refused(client, guests):
    union = pa.UnionArray.from_dense(pa.array([7, 3, 7], pa.int8()), pa.array([0, 0, 1], pa.int32()),
                                     [pa.array([1, 2]), pa.array(["x"])], ["a", "b"], [7, 3])
    table = pa.table({"u": union})
    with pytest.raises(pa.ArrowInvalid) as e:
        exchange(client, command(guests["echo"], "echo"), table)
    assert_error(e, "bad request", "u")


def test_delta_dictionaries_are_refused(client, guests):
    """Arrow Java's Flight reader would load a delta dictionary batch as a replacement: the
    server refuses the stream instead of computing on the wrong dictionary."""
    schema = pa.schema([pa.field("d", pa.dictionary(pa.int8(), pa.utf8()))])
    first = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()),
                                                            pa.array(["a", "b"]))], schema=schema)
    second = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([2, 0], pa.int8()),
                                                             pa.array(["a", "b", "c"]))],
                             schema=schema)
    writer, reader = client.do_exchange(command(guests["echo"], "echo"))
    with pytest.raises(pa.ArrowInvalid) as e:
        writer.begin(schema, options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))
        writer.write_batch(first)
        assert reader.read_chunk().data.num_rows == 2
        writer.write_batch(second)
        reader.read_chunk()
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - the same error
        pass
    assert_error(e, "bad request", "delta dictionary")
