"""The AssemblyScript page (guest-sdk-as/README.md), followed as a user would: from an empty
directory outside the repository, its commands and files are run and written in the order the
page gives them — npm project, compiler and library install, `asc`, and the pyarrow script that
registers the module and calls it — against a real server. Nothing is taken from the page but
its code blocks, so the page and the test cannot drift apart.

The blocks of the section "A scalar UDF in 10 lines, from an empty directory to a call from
pyarrow", in order: a ```sh block is run (all of them in one bash session, so `cd` carries over); a
```ts or ```python block whose first line is a comment naming a file (`// add_one.ts`,
`# call.py`) is saved under that name in the current directory.
"""

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import REPO_ROOT, exchange, path, register

PAGE = REPO_ROOT / "guest-sdk-as" / "README.md"
SECTION = "## A scalar UDF in 10 lines, from an empty directory to a call from pyarrow"
BLOCK = re.compile(r"^```(\w+)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
FILE_COMMENT = re.compile(r"^(?://|#)\s*([\w.-]+\.(?:ts|py))\s*$")
TIMEOUT_S = 600


def page_blocks():
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    end = len(text) if following < 0 else following
    return [(lang, body) for lang, body in BLOCK.findall(text[start:end])]


def as_script(blocks):
    """One bash script: sh blocks verbatim, file blocks as heredocs."""
    lines = ["set -euo pipefail", "set -x"]
    for lang, body in blocks:
        if lang == "sh":
            lines.append(body)
            continue
        first = body.splitlines()[0]
        match = FILE_COMMENT.match(first)
        assert match, f"a ```{lang} block of {PAGE.name} does not start with a file name comment: {first!r}"
        lines.append(f"cat > {match.group(1)} <<'WASM_FLIGHT_DOC_EOF'\n{body}WASM_FLIGHT_DOC_EOF")
    return "\n".join(lines) + "\n"


def test_the_page_has_a_ten_line_scalar_udf():
    files = [body for lang, body in page_blocks() if lang == "ts"]
    assert files, f"no ```ts block in {PAGE}"
    udf = files[0]
    assert FILE_COMMENT.match(udf.splitlines()[0])
    assert len(udf.splitlines()) <= 10, f"the scalar UDF has {len(udf.splitlines())} lines"


@pytest.fixture(scope="module")
def outside_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("as-user")
    assert REPO_ROOT not in directory.resolve().parents, f"{directory} is inside the repository"
    assert not any(directory.iterdir())
    return directory


def test_build_register_and_call_from_pyarrow_following_the_page(location, client, outside_dir):
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: the AssemblyScript page needs Node.js and npm",
                        pytrace=False)
    blocks = page_blocks()
    assert [lang for lang, _ in blocks].count("sh") >= 3, "the page lost its commands"
    env = dict(os.environ)
    env.update({
        "WASM_FLIGHT": str(REPO_ROOT),
        "WASM_FLIGHT_LOCATION": location,
        # the page's `python3` is the interpreter running this test (it has pyarrow)
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        "npm_config_prefer_offline": "true",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    })
    run = subprocess.run(["bash", "-c", as_script(blocks)], cwd=outside_dir, env=env,
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 0, (f"the page's commands failed (exit {run.returncode})\n"
                                 f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}")
    # What the page says the script prints.
    assert "['add_one']" in run.stdout.splitlines(), run.stdout
    assert "[2, None, 42]" in run.stdout.splitlines(), run.stdout

    # The module the user built, checked on more data than the page shows, on both engines.
    wasm_files = list(outside_dir.rglob("add_one.wasm"))
    assert len(wasm_files) == 1, wasm_files
    assert REPO_ROOT not in wasm_files[0].resolve().parents
    register(client, "as_outside", wasm_files[0].read_bytes())
    rng = random.Random(13)
    values = [None if rng.random() < 0.1 else rng.randrange(-2**63, 2**63) for _ in range(20_000)]
    table = pa.table({"v": pa.array(values, pa.int64())})
    out = exchange(client, path("as_outside", "add_one"), table, max_chunksize=3_000)
    expected = [None if v is None else (v + 1 + 2**63) % 2**64 - 2**63 for v in values]
    assert out.schema == table.schema
    assert out.column("v").to_pylist() == expected
