"""The arrow-udf remote UDF protocol (proto-docs/engines.md) from pyarrow, following the client
code paths of the engines' Python-side tools, re-implemented from their sources:

- Databend: `databend_udf/client.py` (UDFClient: the schema's `x-databend-udf-input-count`
  metadata splits inputs from the output, the call sends one batch of the input schema's types
  with the tenant/query-id headers) and the query node's `udf_client.rs` (all fields but the last
  are arguments, types compared with nullability, the block sent in slices of `batch_rows`,
  output concatenated, no batch at all is an error);
- arrow-udf (RisingWave): `total_records` = number of arguments, types compared without names,
  one batch per call, table functions answer (`row`, value).

The functions are the Rust examples `gcd` (scalar) and `series` (table). RisingWave's exact
messages (descriptor on every FlightData) are sent by the Java EngineProtocolTest.
"""

import math

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import register, server_message

INPUT_COUNT = b"x-databend-udf-input-count"


@pytest.fixture(scope="module")
def engines(client, examples_dir):
    for name in ("gcd", "series"):
        register(client, name, (examples_dir / f"{name}.wasm").read_bytes())
    return client


def expected_gcd(a, b):
    if a is None or b is None:
        return None
    return math.gcd(a, b)


class DatabendClient:
    """Databend's UDFClient / UDFFlightClient paths (see the module docstring)."""

    def __init__(self, client, batch_rows=4):
        self.client = client
        self.batch_rows = batch_rows
        self.options = flight.FlightCallOptions(headers=[
            (b"x-databend-tenant", b"default"), (b"x-databend-query-id", b"q-0001")])

    def info(self, name):
        return self.client.get_flight_info(flight.FlightDescriptor.for_path(name), self.options)

    def input_schema(self, name):
        schema = self.info(name).schema
        count = int(schema.metadata[INPUT_COUNT].decode())
        return pa.schema([schema.field(i) for i in range(count)])

    def check_schema(self, name, arg_types, return_type):
        """udf_client.rs check_schema: types as (arrow type, nullable)."""
        fields = list(self.info(name).schema)
        assert fields, "UDF Server should return at least one column"
        actual_args = [(f.type, f.nullable) for f in fields[:-1]]
        actual_return = (fields[-1].type, fields[-1].nullable)
        if actual_args != arg_types:
            raise ValueError(f"UDF arg types mismatch, actual arg types: {actual_args}")
        if actual_return != return_type:
            raise ValueError(f"UDF return type mismatch, actual return type: {actual_return}")

    def do_exchange(self, name, block):
        """Slices of batch_rows on one exchange; the concatenated output."""
        writer, reader = self.client.do_exchange(flight.FlightDescriptor.for_path(name),
                                                 self.options)
        with writer:
            writer.begin(block.schema)
            for start in range(0, block.num_rows, self.batch_rows):
                writer.write_table(block.slice(start, self.batch_rows))
            writer.done_writing()
            batches = [chunk.data for chunk in reader]
        if not batches:
            raise RuntimeError("Get empty data from UDF Server")
        return pa.Table.from_batches(batches)


def test_databend_reads_the_signature_from_the_input_count_metadata(engines):
    db = DatabendClient(engines)
    info = db.info("gcd.gcd")
    assert info.schema.metadata[INPUT_COUNT] == b"2"
    assert info.total_records == 2
    assert [f.type for f in db.input_schema("gcd.gcd")] == [pa.int32(), pa.int32()]
    # CREATE FUNCTION gcd (INT, INT) RETURNS INT ... : INT is nullable in Databend.
    db.check_schema("gcd.gcd", [(pa.int32(), True), (pa.int32(), True)], (pa.int32(), True))
    with pytest.raises(ValueError, match="UDF arg types mismatch"):
        db.check_schema("gcd.gcd", [(pa.int64(), True), (pa.int64(), True)], (pa.int64(), True))
    with pytest.raises(ValueError, match="UDF arg types mismatch"):
        db.check_schema("gcd.gcd", [(pa.int32(), False), (pa.int32(), False)], (pa.int32(), True))


def test_databend_calls_a_scalar_function_over_many_slices_with_nulls(engines):
    db = DatabendClient(engines, batch_rows=7)
    a = [None if i % 11 == 5 else (i * 37) % 1000 - 300 for i in range(103)]
    b = [None if i % 13 == 2 else (i * 91) % 777 for i in range(103)]
    fields = [pa.field("", pa.int32()), pa.field("", pa.int32())]
    block = pa.Table.from_arrays([pa.array(a, pa.int32()), pa.array(b, pa.int32())],
                                 schema=pa.schema(fields))
    out = db.do_exchange("gcd.gcd", block)
    assert out.num_columns == 1
    assert out.column(0).to_pylist() == [expected_gcd(x, y) for x, y in zip(a, b)]


def test_databend_client_py_call_function_with_one_row(engines):
    """client.py call_function: arrays of the input schema's types, one row."""
    db = DatabendClient(engines)
    schema = db.input_schema("gcd.gcd")
    batch = pa.RecordBatch.from_arrays([pa.array([25], schema.field(0).type),
                                        pa.array([15], schema.field(1).type)], schema=schema)
    writer, reader = engines.do_exchange(flight.FlightDescriptor.for_path("gcd.gcd"), db.options)
    with writer:
        writer.begin(schema)
        writer.write_batch(batch)
        writer.done_writing()
        results = [v for chunk in reader for v in chunk.data.column(0).to_pylist()]
    assert results == [5]


def test_a_guest_error_reaches_the_engine_with_its_message(engines):
    db = DatabendClient(engines)
    block = pa.Table.from_arrays([pa.array([-2**31], pa.int32()), pa.array([0], pa.int32())],
                                 names=["", ""])
    with pytest.raises(flight.FlightError) as excinfo:
        db.do_exchange("gcd.gcd", block)
    message = server_message(excinfo.value)
    assert "gcd/gcd" in message and "does not fit" in message, message


def test_a_wrong_argument_type_is_refused_naming_the_argument(engines):
    db = DatabendClient(engines)
    block = pa.Table.from_arrays([pa.array([1], pa.int64()), pa.array([2], pa.int32())],
                                 names=["", ""])
    with pytest.raises(pa.ArrowInvalid) as excinfo:  # INVALID_ARGUMENT
        db.do_exchange("gcd.gcd", block)
    message = server_message(excinfo.value)
    assert "argument 0 is of type Int(64, true), declared Int(32, true)" in message, message


def test_arrow_udf_splits_at_total_records_and_calls_a_table_function(engines):
    info = engines.get_flight_info(flight.FlightDescriptor.for_path("series.series"))
    assert info.descriptor.path == [b"series.series"]
    n = info.total_records
    args, returns = list(info.schema)[:n], list(info.schema)[n:]
    assert [f.type for f in args] == [pa.int32()]
    assert [f.type for f in returns] == [pa.int32(), pa.int32()]
    assert returns[0].name == "row"

    assert [r.body.to_pybytes() for r in engines.do_action(flight.Action("protocol_version",
                                                                           b""))] == [b"\x02"]

    ns = [3, None, 0, 1, 1500, -4, 2]
    batch = pa.record_batch([pa.array(ns, pa.int32())], schema=pa.schema([pa.field("", pa.int32())]))
    writer, reader = engines.do_exchange(flight.FlightDescriptor.for_path("series.series"))
    with writer:
        writer.begin(batch.schema)
        writer.write_batch(batch)
        writer.done_writing()
        chunks = [chunk.data for chunk in reader]
    assert all(c.num_rows <= 1024 for c in chunks), [c.num_rows for c in chunks]
    out = pa.Table.from_batches(chunks)
    expected = [(row, v) for row, n in enumerate(ns) if n is not None for v in range(max(n, 0))]
    assert list(zip(out.column(0).to_pylist(), out.column(1).to_pylist())) == expected


def test_listing_with_criteria_udf_names_the_remote_udfs(engines):
    names = {info.descriptor.path[0].decode(): info.total_records
             for info in engines.list_flights(b"udf")}
    assert names.get("gcd.gcd") == 2 and names.get("series.series") == 1, names
    # Functions without a declared signature are not listed (add_one declares none).
    assert not any(name.startswith("add_one.") for name in names)
