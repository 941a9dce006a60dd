"""A new user's first UDF, in Rust and in C, built outside the repository from the docs alone.

The commands are not copied here: each test reads the section between
`<!-- outside-repo:<lang>:begin ... -->` and `<!-- outside-repo:<lang>:end -->` of the language's
page, runs its ```sh blocks with bash in a new empty directory outside the repository (with
`WASM_FLIGHT` set to the checkout, as the page says), then its ```python blocks (which register
the module and call it with pyarrow's do_exchange, asserting the results) against the live
server. So the page and the test cannot drift apart.
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "rust": REPO_ROOT / "guest-sdk-rust" / "README.md",
    "c": REPO_ROOT / "guest-sdk-c" / "README.md",
}
FENCE = re.compile(r"^```(\w+)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
BUILD_TIMEOUT_S = 900  # a first Rust build of the SDK, natively and for wasm32, on 2 busy cores


def documented_steps(lang):
    """[(fence language, code)] of the page's outside-repo section, in order."""
    text = PAGES[lang].read_text(encoding="utf-8")
    begin = re.search(rf"<!-- outside-repo:{lang}:begin\b.*?-->", text)
    end = text.find(f"<!-- outside-repo:{lang}:end -->")
    assert begin and end > begin.end(), f"{PAGES[lang]} has no outside-repo:{lang} section"
    steps = [(m.group(1), m.group(2)) for m in FENCE.finditer(text, begin.end(), end)]
    kinds = [kind for kind, _ in steps]
    assert "sh" in kinds and "python" in kinds, f"{PAGES[lang]}: the section needs sh and python blocks"
    return steps


@pytest.fixture
def empty_dir_outside_repo():
    with tempfile.TemporaryDirectory(prefix="wasm-flight-user-") as d:
        d = Path(d).resolve()
        assert REPO_ROOT not in d.parents, f"{d} is inside the repository"
        yield d


def run_documented(lang, workdir, location):
    env = dict(os.environ, WASM_FLIGHT=str(REPO_ROOT))
    namespace = {"__name__": f"__{lang}_page__", "LOCATION": location}
    for kind, code in documented_steps(lang):
        if kind == "sh":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=workdir, env=env,
                                  capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
            assert done.returncode == 0, (
                f"{PAGES[lang].name}: the documented commands failed ({done.returncode}):\n"
                f"{code}\n--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}")
        elif kind == "python":
            previous = os.getcwd()
            os.chdir(workdir)
            try:
                exec(compile(code, f"{PAGES[lang].name} ({lang} section)", "exec"), namespace)  # noqa: S102
            finally:
                os.chdir(previous)
    return namespace


def test_rust_udf_from_an_empty_directory(empty_dir_outside_repo, location):
    run_documented("rust", empty_dir_outside_repo, location)
    crate = empty_dir_outside_repo / "my_udf"
    wasm = crate / "my_udf.wasm"
    # What the page promises about the crate: vendored SDK, stripping profile, a small module.
    manifest = (crate / "Cargo.toml").read_text()
    assert 'path = "vendor/wasm-flight-guest"' in manifest and "strip = true" in manifest
    assert 10_000 < wasm.stat().st_size < 1_000_000, f"{wasm} is {wasm.stat().st_size} bytes"
    # The page's UDF is the template's, word for word.
    page_rust = [code for kind, code in FENCE.findall(PAGES["rust"].read_text()) if kind == "rust"]
    assert any(code.strip() in (crate / "src" / "lib.rs").read_text() for code in page_rust), (
        "the generated src/lib.rs does not contain the page's UDF")


def test_c_udf_from_an_empty_directory(empty_dir_outside_repo, location):
    run_documented("c", empty_dir_outside_repo, location)
    wasm = empty_dir_outside_repo / "triple.wasm"
    assert 0 < wasm.stat().st_size < 16_384, f"{wasm} is {wasm.stat().st_size} bytes"
    source = (empty_dir_outside_repo / "triple.c").read_text()
    udf_lines = [line for line in source.splitlines() if line.strip()]
    assert len(udf_lines) <= 14, f"the C page's UDF has {len(udf_lines)} lines"


def test_the_c_page_udf_is_refused_input_it_does_not_take(empty_dir_outside_repo, location):
    import pyarrow as pa
    import pyarrow.flight as flight

    namespace = run_documented("c", empty_dir_outside_repo, location)
    client = namespace["client"]
    table = pa.table({"s": pa.array(["a"], pa.utf8())})
    writer, reader = client.do_exchange(flight.FlightDescriptor.for_path("triple", "triple"))
    # The error can surface from any of these calls (it is sent as soon as the guest refuses).
    with pytest.raises((pa.ArrowInvalid, flight.FlightError)) as excinfo:
        writer.begin(table.schema)
        writer.write_table(table)
        writer.done_writing()
        reader.read_all()
    try:
        writer.close()
    except (pa.ArrowInvalid, flight.FlightError):
        pass  # the same error again
    assert "need int64" in str(excinfo.value)


def test_rust_udf_with_the_sdk_as_a_git_dependency(empty_dir_outside_repo, location):
    """The page's other dependency form: `new-guest.sh --git URL --rev REV`, here with the URL of
    this checkout (file://) at its HEAD commit; the page's python block then calls it."""
    git = ["git", "-C", str(REPO_ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        shallow = subprocess.run([*git, "rev-parse", "--is-shallow-repository"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the checkout is not a git repository")
    if shallow == "true":
        pytest.skip("a shallow clone: cargo cannot fetch a commit from it")
    subprocess.run(["bash", str(REPO_ROOT / "guest-sdk-rust" / "new-guest.sh"), "--git",
                    REPO_ROOT.as_uri(), "--rev", head, "my_udf"],
                   cwd=empty_dir_outside_repo, check=True, timeout=60)
    manifest = (empty_dir_outside_repo / "my_udf" / "Cargo.toml").read_text()
    assert f'git = "{REPO_ROOT.as_uri()}", rev = "{head}"' in manifest
    assert not (empty_dir_outside_repo / "my_udf" / "vendor").exists()
    done = subprocess.run([str(empty_dir_outside_repo / "my_udf" / "build.sh")],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, f"build with the git dependency failed:\n{done.stderr}"
    python = [code for kind, code in documented_steps("rust") if kind == "python"]
    namespace = {"__name__": "__rust_git__", "LOCATION": location}
    previous = os.getcwd()
    os.chdir(empty_dir_outside_repo)
    try:
        for code in python:
            exec(compile(code, "guest-sdk-rust/README.md (rust section)", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(previous)
