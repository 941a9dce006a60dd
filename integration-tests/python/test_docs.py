"""Runs every ```python block of the protocol doc against a live server, in order, in one
namespace.

A docs example that stops working fails the suite. Blocks see `LOCATION` (the server's grpc://
address), `METRICS_URL` (its operator endpoint, http://host:port) and `EXAMPLES_DIR` (the
directory with add_one.wasm, upper.wasm and line_total.wasm). The README's blocks define what
they use themselves and run as written, against a server started as the README says:
test_quickstart.py; its Operations and Deploying blocks (fenced `py`) run in test_ops.py and
test_security.py.
"""

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = [REPO_ROOT / "proto-docs" / "flight-protocol.md"]
REQUIRED_DOCS = set(DOCS)

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)

def python_blocks():
    blocks = []
    for doc in DOCS:
        if not doc.exists():
            assert doc not in REQUIRED_DOCS, f"{doc} is missing"
            continue
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(pytest.param(doc, line, match.group(1), id=f"{doc.name}:{line}"))
    return blocks


BLOCKS = python_blocks()


def test_the_protocol_doc_has_python_examples():
    assert any(p.values[0] == DOCS[0] for p in BLOCKS), f"no ```python block in {DOCS[0]}"


@pytest.fixture(scope="module")
def namespace(server, location, examples_dir):
    """One namespace shared by all blocks, so a block can use what an earlier one defined."""
    return {"__name__": "__docs__", "LOCATION": location, "METRICS_URL": server.metrics_url,
            "EXAMPLES_DIR": str(examples_dir)}


@pytest.mark.parametrize("doc,line,code", BLOCKS)
def test_docs_python_block(namespace, doc, line, code):
    compiled = compile(code, f"{doc.relative_to(REPO_ROOT)}:{line}", "exec")
    exec(compiled, namespace)  # noqa: S102 - running the docs is the point of this test
