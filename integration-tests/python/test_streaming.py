"""The exchange as a pipeline, from pyarrow (flight-protocol.md, "DoExchange" and "Client
patterns"): a single-threaded client may write its whole input before reading, the server
buffers the output up to its budget, and a client that stops reading ends its session with the
documented stall error, while the server keeps serving."""

import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import assert_error, command, path, register

TIMED_OUT = flight.FlightTimedOutError


@pytest.fixture(scope="module")
def add_one(client, example_wasm):
    register(client, "stream_add_one", example_wasm["add_one"])
    return "stream_add_one"


def int64_table(rows, start=0):
    return pa.table({"x": pa.array(np.arange(start, start + rows, dtype=np.int64))})


def write_all_then_read(client, descriptor, table, chunk=65_536):
    """The README's pattern: no helper thread, write everything, then read everything."""
    writer, reader = client.do_exchange(descriptor)
    writer.begin(table.schema)
    writer.write_table(table, max_chunksize=chunk)
    writer.done_writing()
    result = reader.read_all()
    writer.close()
    return result


def test_write_everything_then_read_20_million_rows(client, add_one):
    rows = 20_000_000
    table = int64_table(rows)
    result = write_all_then_read(client, path(add_one, "add_one"), table, chunk=1_000_000)
    assert result.num_rows == rows
    x = result.column("x").to_numpy()
    assert x[0] == 1 and x[-1] == rows
    assert np.array_equal(x, np.arange(1, rows + 1, dtype=np.int64))


@pytest.mark.parametrize("engine", ["aot", "interpreter"])
def test_write_everything_then_read_on_both_engines(client, add_one, engine):
    rows = 4_000_000 if engine == "aot" else 600_000
    result = write_all_then_read(client, command(add_one, "add_one", engine=engine),
                                 int64_table(rows), chunk=100_000)
    assert np.array_equal(result.column("x").to_numpy(),
                          np.arange(1, rows + 1, dtype=np.int64))


@pytest.fixture(scope="module")
def small_budget(start_server, example_wasm):
    """A server with a 4 MiB output budget and a 2 s stall time."""
    server = start_server("--output-budget-mb", "4", "--stall-timeout-ms", "2000")
    c = flight.connect(server.location)
    register(c, "add_one", example_wasm["add_one"])
    yield c
    c.close()


def test_a_client_that_never_reads_gets_the_stall_error(small_budget):
    # 12M rows = 96 MB in and out, far past the budget and the gRPC windows: the server stops
    # reading once 4 MiB of output wait, and gives up on the client after the stall time. The
    # error may surface from a write (the server ended the call) or from the read.
    table = int64_table(12_000_000)
    start = time.monotonic()
    with pytest.raises(TIMED_OUT) as e:
        writer, reader = small_budget.do_exchange(path("add_one", "add_one"))
        try:
            writer.begin(table.schema)
            writer.write_table(table, max_chunksize=65_536)
            writer.done_writing()
            reader.read_all()
        finally:
            try:
                writer.close()
            except (flight.FlightError, pa.ArrowException):
                pass
    elapsed = time.monotonic() - start
    assert_error(e, "client stalled", "add_one/add_one (aot)",
                 "the client is not reading the output",
                 "the session's output budget is 4194304 bytes",
                 "read the output while writing the input")
    assert elapsed < 60, f"the stall error took {elapsed:.1f} s"
    # The server is still serving.
    result = write_all_then_read(small_budget, path("add_one", "add_one"), int64_table(1000))
    assert result.column("x").to_pylist() == list(range(1, 1001))


def test_output_within_the_budget_needs_no_reader_thread(small_budget):
    # 300K rows = 2.4 MB of output: under the 4 MiB budget, so it all waits on the server.
    table = int64_table(300_000)
    result = write_all_then_read(small_budget, path("add_one", "add_one"), table)
    assert result.num_rows == 300_000
    assert result.column("x").to_numpy()[-1] == 300_000


def test_a_client_that_reads_while_writing_streams_any_size(small_budget):
    # Reading while writing (here: a batch out per batch in) needs no budget at all.
    writer, reader = small_budget.do_exchange(path("add_one", "add_one"))
    schema = pa.schema([("x", pa.int64())])
    writer.begin(schema)
    total = 0
    for b in range(40):
        batch = pa.record_batch([pa.array(np.arange(b * 250_000, (b + 1) * 250_000,
                                                    dtype=np.int64))], schema=schema)
        writer.write_batch(batch)
        out = reader.read_chunk().data
        assert out.column(0)[0].as_py() == b * 250_000 + 1
        total += out.num_rows
    writer.done_writing()
    rest = reader.read_all()
    writer.close()
    assert total + rest.num_rows == 10_000_000
