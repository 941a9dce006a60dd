"""The README's quick start, run exactly as written (issue 10: "the README quick start runs
verbatim").

The server is started with the README's own command, `./run-server.sh --port 8815`, from the
repository root, with only the port replaced by a free one; the client is installed with the
README's own commands into a fresh venv (only its directory replaced: the tests' `.venv` is
not touched), and every ```python block of the README runs as a file in that venv, from the
repository root, with only the port replaced. The test checks that these replacements are the
only differences from the README's text. The server's data directory is a temporary one
(`WASM_FLIGHT_DATA_DIR`, set in the environment, not in the command). The python blocks of
the client's page, clients/python/README.md, run the same way against the same server.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
CLIENT_README = REPO_ROOT / "clients" / "python" / "README.md"  # its blocks run the same way
SECTION = "## Quick start\n"
PORT = "8815"
VENV = ".venv"
FENCE = re.compile(r"^```(sh|python)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
# The README's commands, as the test runs them (`.venv/bin/python` starts the interpreter the
# python blocks are pasted into; the test runs them as files with that interpreter instead).
SERVER_COMMAND = f"./run-server.sh --port {PORT}"
INSTALL_COMMANDS = [f"python3 -m venv {VENV}", f"{VENV}/bin/pip install ./clients/python"]
INTERPRETER = f"{VENV}/bin/python"
STARTUP_TIMEOUT_S = 900  # run-server.sh builds the server and the examples first
RUN_TIMEOUT_S = 300


def readme_section():
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no '{SECTION.strip()}' section"
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def blocks(text, lang):
    return [m.group(2) for m in FENCE.finditer(text) if m.group(1) == lang]


def commands(block):
    return [line.strip() for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def substitute(text, old, new):
    """`text` with `old` replaced by `new`, checking that nothing else changed."""
    assert old in text, f"{old!r} not in {text!r}"
    assert new not in text, f"{new!r} already in {text!r}: the substitution would be ambiguous"
    result = text.replace(old, new)
    assert result.replace(new, old) == text
    return result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_the_quick_start_section_has_the_expected_commands():
    section = readme_section()
    sh = blocks(section, "sh")
    assert [commands(b) for b in sh] == [[SERVER_COMMAND], INSTALL_COMMANDS + [INTERPRETER]], (
        "the quick start's shell commands changed: update test_quickstart.py to run them")
    assert len(blocks(section, "python")) >= 2
    assert f"grpc://127.0.0.1:{PORT}" in section


class QuickstartServer:
    """`./run-server.sh --port <port>` in its own process group, stdout drained."""

    def __init__(self, command, data_dir, log_path):
        self.lines = []
        self.listening = threading.Event()
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            ["bash", "-c", command], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._log, text=True, start_new_session=True,
            env={**os.environ, "WASM_FLIGHT_DATA_DIR": str(data_dir)})
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if "wasm-flight listening on " in line:
                self.listening.set()

    def wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.listening.wait(1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._log.flush()
                pytest.fail("run-server.sh did not start listening:\n" + "\n".join(
                    self.lines[-40:]), pytrace=False)
        return next(line for line in self.lines if "wasm-flight listening on " in line)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def port():
    return free_port()


@pytest.fixture(scope="module")
def quickstart_server(port, tmp_path_factory):
    (server_block,) = blocks(readme_section(), "sh")[:1]
    command = substitute(commands(server_block)[0], f"--port {PORT}", f"--port {port}")
    server = QuickstartServer(command, tmp_path_factory.mktemp("quickstart-data"),
                              tmp_path_factory.mktemp("quickstart-log") / "server.log")
    try:
        line = server.wait_listening(STARTUP_TIMEOUT_S)
        assert f"grpc://127.0.0.1:{port}" in line, line
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def quickstart_venv(tmp_path_factory):
    """The README's install commands, with only the venv directory replaced."""
    venv = tmp_path_factory.mktemp("quickstart-venv") / "venv"
    install_block = blocks(readme_section(), "sh")[1]
    for command in commands(install_block):
        if command == INTERPRETER:
            continue  # the interactive interpreter: the blocks run as files below
        command = substitute(command, VENV, str(venv))
        done = subprocess.run(["bash", "-c", command], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return venv


def test_the_readme_python_blocks_run_as_written(quickstart_server, quickstart_venv, port,
                                                 tmp_path):
    python = quickstart_venv / "bin" / "python"
    # Only pyarrow (and what pip brings along) is installed there besides the client.
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout
    names = {line.split("==")[0].lower() for line in listed.split()}
    assert names - {"pip", "setuptools", "wheel"} == {"pyarrow", "wasm-flight"}, names

    code_blocks = [(README, b) for b in blocks(README.read_text(encoding="utf-8"), "python")]
    assert code_blocks, "README.md has no python block"
    code_blocks += [(CLIENT_README, b)
                    for b in blocks(CLIENT_README.read_text(encoding="utf-8"), "python")]
    for index, (doc, block) in enumerate(code_blocks):
        script = tmp_path / f"readme_block_{index}.py"
        script.write_text(substitute(block, f"127.0.0.1:{PORT}", f"127.0.0.1:{port}"))
        done = subprocess.run([str(python), str(script)], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
        assert done.returncode == 0, (f"python block {index} ({doc.relative_to(REPO_ROOT)}) "
                                      f"failed:\n{done.stdout}\n{done.stderr}")
        if index == 0:
            assert "[('add_one', 'map')]" in done.stdout
            assert "not found: module 'quickstart' has no function 'nope'" in done.stdout
