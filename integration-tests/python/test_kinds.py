"""Every function kind of ABI 1.2 (abi-v1.md section 6) from pyarrow, on both engines, through
the Rust SDK's examples: positive (filter), split_words and to_jsonl (table), word_count and
summary (aggregate). Each with nulls, empty streams, zero-row batches and many batches, using
the plain write-everything-then-read pattern."""

import json

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import command, do_action, register

ENGINES = ["aot", "interpreter"]
KIND_EXAMPLES = {"positive": "filter", "split_words": "table", "to_jsonl": "table",
                 "word_count": "aggregate", "summary": "aggregate"}


@pytest.fixture(scope="module")
def kinds(client, examples_dir):
    for name in KIND_EXAMPLES:
        register(client, f"kind_{name}", (examples_dir / f"{name}.wasm").read_bytes())
    return {name: f"kind_{name}" for name in KIND_EXAMPLES}


def run(client, module, function, engine, schema, batches):
    """Writes every batch, half-closes, then reads everything (no helper thread)."""
    writer, reader = client.do_exchange(command(module, function, engine=engine))
    writer.begin(schema)
    for b in batches:
        writer.write_batch(b)
    writer.done_writing()
    result = reader.read_all()
    writer.close()
    return result


def batch(schema, **columns):
    return pa.record_batch([pa.array(columns[f.name], f.type) for f in schema], schema=schema)


def test_describe_and_list_flights_report_the_kind(client, kinds):
    for name, kind in KIND_EXAMPLES.items():
        (function,) = do_action(client, "describe", {"name": kinds[name]})["functions"]
        assert function["name"] == name and function["kind"] == kind
    flights = {f.descriptor.path[0].decode(): json.loads(f.app_metadata)
               for f in client.list_flights()}
    for name, kind in KIND_EXAMPLES.items():
        assert flights[kinds[name]]["kind"] == kind
    assert do_action(client, "describe", {"name": kinds["split_words"]})["functions"][0][
        "row_index"] == "row"


# ------------------------------------------------------------------------------------------
# filter
# ------------------------------------------------------------------------------------------

POS_SCHEMA = pa.schema([("x", pa.int64()), ("tag", pa.string())])


@pytest.mark.parametrize("engine", ENGINES)
def test_positive_keeps_the_rows_of_every_column(client, kinds, engine):
    batches = [
        batch(POS_SCHEMA, x=[-2, 1, None, 3], tag=["a", "b", "c", None]),
        batch(POS_SCHEMA, x=[], tag=[]),
        batch(POS_SCHEMA, x=[0, -1], tag=["d", "e"]),
        batch(POS_SCHEMA, x=[7, 8, -9], tag=["f", None, "h"]),
    ]
    result = run(client, kinds["positive"], "positive", engine, POS_SCHEMA, batches)
    assert result.schema == POS_SCHEMA
    assert result.column("x").to_pylist() == [1, 3, 7, 8]
    assert result.column("tag").to_pylist() == ["b", None, "f", None]


@pytest.mark.parametrize("engine", ENGINES)
def test_positive_on_float64_and_many_batches(client, kinds, engine):
    schema = pa.schema([("v", pa.float64())])
    values = [float((i * 7919) % 201 - 100) for i in range(20_000)]
    batches = [batch(schema, v=values[i:i + 1000]) for i in range(0, len(values), 1000)]
    result = run(client, kinds["positive"], "positive", engine, schema, batches)
    assert result.column("v").to_pylist() == [v for v in values if v > 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_positive_on_an_empty_stream_has_the_input_schema(client, kinds, engine):
    result = run(client, kinds["positive"], "positive", engine, POS_SCHEMA, [])
    assert result.num_rows == 0 and result.schema == POS_SCHEMA


def test_positive_refuses_other_types(client, kinds):
    schema = pa.schema([("s", pa.string())])
    with pytest.raises(pa.ArrowInvalid) as e:
        run(client, kinds["positive"], "positive", "aot", schema, [batch(schema, s=["a"])])
    assert "input rejected by guest" in str(e.value)


# ------------------------------------------------------------------------------------------
# table
# ------------------------------------------------------------------------------------------

LINES = pa.schema([("line", pa.string())])


@pytest.mark.parametrize("engine", ENGINES)
def test_split_words_gives_one_row_per_word_with_its_input_row(client, kinds, engine):
    batches = [batch(LINES, line=["a b", None, "", "  c  d e "]),
               batch(LINES, line=[]),
               batch(LINES, line=["f"])]
    result = run(client, kinds["split_words"], "split_words", engine, LINES, batches)
    assert result.schema.names == ["row", "word"]
    assert result.schema.field("row").type == pa.int32()
    assert list(zip(result.column("row").to_pylist(), result.column("word").to_pylist())) == [
        (0, "a"), (0, "b"), (3, "c"), (3, "d"), (3, "e"), (0, "f")]


def test_split_words_continues_past_one_output_batch(client, kinds):
    # 50,000 lines of 3 words: 150,000 rows from one input batch, more than one output batch
    # (the example emits at most 65,536 rows per batch, returning WF_MORE in between).
    lines = [f"w{i} x{i} y{i}" for i in range(50_000)]
    writer, reader = client.do_exchange(command(kinds["split_words"], "split_words"))
    writer.begin(LINES)
    writer.write_batch(batch(LINES, line=lines))
    writer.done_writing()
    chunks = []
    while True:
        try:
            chunks.append(reader.read_chunk().data)
        except StopIteration:
            break
    writer.close()
    assert len(chunks) >= 3 and max(c.num_rows for c in chunks) <= 65_536
    table = pa.Table.from_batches(chunks)
    assert table.num_rows == 150_000
    assert table.column("row").to_pylist()[:4] == [0, 0, 0, 1]
    assert table.column("word").to_pylist()[-1] == "y49999"


@pytest.mark.parametrize("engine", ENGINES)
def test_split_words_on_an_empty_stream(client, kinds, engine):
    result = run(client, kinds["split_words"], "split_words", engine, LINES, [])
    assert result.num_rows == 0 and result.schema.names == ["row", "word"]


@pytest.mark.parametrize("engine", ENGINES)
def test_to_jsonl_encodes_each_row(client, kinds, engine):
    schema = pa.schema([("i", pa.int64()), ("f", pa.float64()), ("b", pa.bool_()),
                        ("s", pa.string())])
    batches = [batch(schema, i=[1, None], f=[1.5, float("nan")], b=[True, None],
                     s=['say "hi"\n', None]),
               batch(schema, i=[-3], f=[None], b=[False], s=["\\ tab\t"])]
    result = run(client, kinds["to_jsonl"], "to_jsonl", engine, schema, batches)
    assert result.schema.names == ["json"]
    rows = [json.loads(t) for t in result.column("json").to_pylist()]
    assert rows == [{"i": 1, "f": 1.5, "b": True, "s": 'say "hi"\n'},
                    {"i": None, "f": None, "b": None, "s": None},
                    {"i": -3, "f": None, "b": False, "s": "\\ tab\t"}]


# ------------------------------------------------------------------------------------------
# aggregate
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_word_count_counts_over_the_whole_stream(client, kinds, engine):
    batches = [batch(LINES, line=["the cat", "the dog", None]),
               batch(LINES, line=[]),
               batch(LINES, line=["a cat  the"])]
    result = run(client, kinds["word_count"], "word_count", engine, LINES, batches)
    assert result.schema.names == ["word", "count"]
    assert list(zip(result.column("word").to_pylist(), result.column("count").to_pylist())) == [
        ("a", 1), ("cat", 2), ("dog", 1), ("the", 3)]


@pytest.mark.parametrize("engine", ENGINES)
def test_word_count_of_an_empty_stream_is_empty(client, kinds, engine):
    result = run(client, kinds["word_count"], "word_count", engine, LINES, [])
    assert result.num_rows == 0 and result.schema.names == ["word", "count"]


def test_word_count_with_many_groups(client, kinds):
    lines = [f"k{i % 100_000}" for i in range(200_000)]
    batches = [batch(LINES, line=lines[i:i + 50_000]) for i in range(0, len(lines), 50_000)]
    result = run(client, kinds["word_count"], "word_count", "aot", LINES, batches)
    assert result.num_rows == 100_000
    assert set(result.column("count").to_pylist()) == {2}
    words = result.column("word").to_pylist()
    assert words == sorted(words)


SUMMARY_SCHEMA = pa.schema([("v", pa.float64())])


@pytest.mark.parametrize("engine", ENGINES)
def test_summary_of_a_float64_column(client, kinds, engine):
    batches = [batch(SUMMARY_SCHEMA, v=[1.0, None, 4.0]), batch(SUMMARY_SCHEMA, v=[]),
               batch(SUMMARY_SCHEMA, v=[-2.0, 7.0])]
    result = run(client, kinds["summary"], "summary", engine, SUMMARY_SCHEMA, batches)
    assert result.to_pylist() == [{"count": 4, "min": -2.0, "max": 7.0, "mean": 2.5}]


@pytest.mark.parametrize("engine", ENGINES)
def test_summary_of_an_empty_stream_is_one_row_of_nulls(client, kinds, engine):
    result = run(client, kinds["summary"], "summary", engine, SUMMARY_SCHEMA, [])
    assert result.to_pylist() == [{"count": 0, "min": None, "max": None, "mean": None}]
