"""The AssemblyScript examples (guest-sdk-as/examples, built by the Maven build into
integration-tests/target/wasm-as) and the WAT tutorial guest (the ```wat block of
proto-docs/guest-wat.md, compiled here with wat2wasm) called from pyarrow."""

import os
import re
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import REPO_ROOT, assert_error, compile_wat, exchange, path, register

AS_DIR = Path(os.environ.get("WASM_FLIGHT_AS_DIR",
                             REPO_ROOT / "integration-tests" / "target" / "wasm-as"))
WAT_DOC = REPO_ROOT / "proto-docs" / "guest-wat.md"
WAT_BLOCK = re.compile(r"^```wat[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def as_module(client):
    wasm = AS_DIR / "as_examples.wasm"
    if not wasm.is_file():
        pytest.fail(f"{wasm} is missing: build it with the Maven build (mvn -DskipTests package) "
                    "or guest-sdk-as/build-examples.sh, or set WASM_FLIGHT_AS_DIR", pytrace=False)
    register(client, "as_py", wasm.read_bytes())
    return "as_py"


@pytest.fixture(scope="module")
def wat_module(client, tmp_path_factory):
    blocks = WAT_BLOCK.findall(WAT_DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 1, f"{WAT_DOC.name} should have exactly one ```wat block"
    register(client, "wat_py", compile_wat(blocks[0], tmp_path_factory.mktemp("wat-doc")))
    return "wat_py"


def int64_table(n):
    values = [None if i % 9 == 4 else i * 7_919 - 10**12 for i in range(n)]
    return values, pa.table({"x": pa.array(values, pa.int64())})


@pytest.mark.parametrize("module", ["as_module", "wat_module"])
def test_add_one_over_chunked_input(request, client, module):
    name = request.getfixturevalue(module)
    values, table = int64_table(25_000)
    out = exchange(client, path(name, "add_one"), table, max_chunksize=4_096)
    assert out.schema == table.schema
    assert out.column("x").to_pylist() == [None if v is None else v + 1 for v in values]


@pytest.mark.parametrize("module", ["as_module", "wat_module"])
def test_dictionary_encoded_int64_is_refused(request, client, module):
    """The format of a dictionary-encoded column is its index type ("l" for int64 indices):
    both guests check the dictionary pointer and refuse it instead of adding 1 to indices."""
    name = request.getfixturevalue(module)
    column = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int64()),
                                            pa.array([10, 20], pa.int64()))
    table = pa.table({"x": column})
    with pytest.raises(pa.ArrowInvalid) as excinfo:
        exchange(client, path(name, "add_one"), table)
    expected = ("column 0 ('x') is dictionary-encoded, expected int64" if name == "as_py"
                else "add_one takes one int64 column")
    assert_error(excinfo, "input rejected by guest", expected)


def test_as_fahrenheit_and_greet(client, as_module):
    celsius = [0.0, None, 100.0, -40.0, 21.5]
    out = exchange(client, path(as_module, "fahrenheit"), pa.table({"c": pa.array(celsius)}))
    assert out.column("c").to_pylist() == [None if c is None else c * 1.8 + 32.0 for c in celsius]
    no_nulls = [i / 7 - 50 for i in range(10_000)]   # the helpers' loop without validity tests
    out = exchange(client, path(as_module, "fahrenheit"), pa.table({"c": pa.array(no_nulls)}),
                   max_chunksize=3_000)
    assert out.column("c").null_count == 0
    assert out.column("c").to_pylist() == [c * 1.8 + 32.0 for c in no_nulls]
    names = ["Ada", None, "", "Grüße", "🦀"]
    out = exchange(client, path(as_module, "greet"), pa.table({"name": pa.array(names)}))
    assert out.column("name").to_pylist() == [None if n is None else f"Hello, {n}!" for n in names]
