"""Fixtures and helpers for the pyarrow end-to-end tests of wasm-flight.

Every test talks to a real server (scripts/wasm-flight) started on an ephemeral port with its own
temporary data directory. The example guests (add_one, upper, line_total) come from
$WASM_FLIGHT_EXAMPLES_DIR; the WAT echo guest is compiled with `wat2wasm` when it is installed.
"""

import base64
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.flight as flight
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = REPO_ROOT / "scripts" / "wasm-flight"
ECHO_WAT = REPO_ROOT / "integration-tests" / "src" / "test" / "resources" / "guests" / "good" / "echo.wat"
EXAMPLE_NAMES = ("add_one", "upper", "line_total")
# Used only when WASM_FLIGHT_EXAMPLES_DIR is not set (run-tests.sh sets it to the first one).
DEFAULT_EXAMPLES_DIRS = (
    REPO_ROOT / "integration-tests" / "target" / "wasm-examples",
    REPO_ROOT / "guest-sdk-rust" / "target" / "wasm-examples",
)

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
LISTENING = re.compile(r"wasm-flight listening on (grpc(?:\+tls)?://127\.0\.0\.1:\d+)")
METRICS = re.compile(r"wasm-flight metrics on (http://127\.0\.0\.1:\d+)/metrics")


# --------------------------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------------------------

class ServerProcess:
    """A wasm-flight server started with `--port 0`; `location` is its grpc:// address, and
    `metrics_url` its operator endpoint (http://host:port) when started with `--metrics-port`."""

    def __init__(self, data_dir, log_path, *extra_args):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.stdout_lines = []
        self.metrics_url = None
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(SERVER_SCRIPT), "--port", "0", "--data-dir", str(self.data_dir), *extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        self._lines = queue.Queue()
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        try:
            self.location = self._wait_until_listening()
        except BaseException:
            self.stop()
            raise

    def _pump_stdout(self):
        # Keeps draining stdout for the server's whole life so it never blocks on a full pipe.
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF: the process closed stdout (it exited)

    def _wait_until_listening(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"wasm-flight did not report 'listening' within {STARTUP_TIMEOUT_S} s"
                            f"{self._diagnostics()}", pytrace=False)
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait(timeout=STOP_TIMEOUT_S)
                pytest.fail(f"wasm-flight exited with code {self.process.returncode} before it "
                            f"was listening{self._diagnostics()}", pytrace=False)
            self.stdout_lines.append(line.rstrip("\n"))
            metrics = METRICS.search(line)
            if metrics:
                self.metrics_url = metrics.group(1)
            match = LISTENING.search(line)
            if match:
                return match.group(1)

    def _diagnostics(self):
        self._log.flush()
        stderr = self.log_path.read_text(errors="replace")[-8000:]
        stdout = "\n".join(self.stdout_lines)
        return f"\n--- stdout ---\n{stdout}\n--- stderr ({self.log_path}) ---\n{stderr}"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """Factory: start_server(*extra_args, data_dir=None) -> ServerProcess, stopped at the end.

    For tests that need their own server (other flags, a restart on the same data dir)."""
    started = []

    def start(*extra_args, data_dir=None):
        if data_dir is None:
            data_dir = tmp_path_factory.mktemp("wasm-flight-data")
        log = tmp_path_factory.mktemp("wasm-flight-log") / "server.log"
        server = ServerProcess(data_dir, log, *extra_args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(start_server):
    """The shared server for the whole session (with its metrics endpoint on a free port)."""
    return start_server("--metrics-port", "0")


@pytest.fixture(scope="session")
def location(server):
    return server.location


@pytest.fixture(scope="session")
def client(location):
    c = flight.connect(location)
    yield c
    c.close()


# --------------------------------------------------------------------------------------------
# Guests
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def examples_dir():
    """The directory holding add_one.wasm, upper.wasm and line_total.wasm. Never skips."""
    wanted = [f"{name}.wasm" for name in EXAMPLE_NAMES]
    env = os.environ.get("WASM_FLIGHT_EXAMPLES_DIR")
    candidates = [Path(env)] if env else list(DEFAULT_EXAMPLES_DIRS)
    for directory in candidates:
        if all((directory / w).is_file() for w in wanted):
            return directory
    where = (f"WASM_FLIGHT_EXAMPLES_DIR={env}" if env
             else "WASM_FLIGHT_EXAMPLES_DIR is not set; looked in "
             + ", ".join(str(d) for d in candidates))
    pytest.fail(f"the example guests {', '.join(wanted)} are missing ({where}). Build them with "
                f"./run-tests.sh or guest-sdk-rust's build, or set WASM_FLIGHT_EXAMPLES_DIR.",
                pytrace=False)


@pytest.fixture(scope="session")
def example_wasm(examples_dir):
    """{name: bytes} of the three example guests."""
    return {name: (examples_dir / f"{name}.wasm").read_bytes() for name in EXAMPLE_NAMES}


def compile_wat(wat_text, tmp_dir):
    """Compiles WAT text with `wat2wasm`; skips the calling test when wat2wasm is not installed."""
    wat2wasm = shutil.which("wat2wasm")
    if wat2wasm is None:
        pytest.skip("wat2wasm (wabt) is not installed: WAT-based guests cannot be compiled")
    src = Path(tmp_dir) / "guest.wat"
    out = Path(tmp_dir) / "guest.wasm"
    src.write_text(wat_text)
    subprocess.run([wat2wasm, str(src), "-o", str(out)], check=True)
    return out.read_bytes()


@pytest.fixture(scope="session")
def echo_wasm(tmp_path_factory):
    """The WAT echo guest (function `echo` returns its input unchanged)."""
    return compile_wat(ECHO_WAT.read_text(), tmp_path_factory.mktemp("echo"))


# --------------------------------------------------------------------------------------------
# Protocol helpers
# --------------------------------------------------------------------------------------------

def do_action(client, action_type, body=None):
    """Runs an action and returns its single JSON result, decoded."""
    if body is None:
        raw = b""
    elif isinstance(body, (bytes, bytearray)):
        raw = bytes(body)
    else:
        raw = json.dumps(body).encode()
    results = list(client.do_action(flight.Action(action_type, raw)))
    assert len(results) == 1, f"action {action_type!r} returned {len(results)} messages, not 1"
    return json.loads(results[0].body.to_pybytes())


def register(client, name, wasm_bytes):
    """Registers a module from its bytes; returns the module description (+ "replaced")."""
    return do_action(client, "register",
                     {"name": name, "wasm": base64.b64encode(wasm_bytes).decode("ascii")})


def command(module, function, **extra):
    """A command descriptor {"module", "function", ...extra (engine, options)}."""
    return flight.FlightDescriptor.for_command(
        json.dumps({"module": module, "function": function, **extra}).encode())


def path(module, function):
    return flight.FlightDescriptor.for_path(module, function)


def _close_quietly(writer):
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - the same error as the one already being raised
        pass


def exchange(client, descriptor, table, max_chunksize=None):
    """Streams `table` through a function (in batches of at most `max_chunksize` rows); returns
    the output as one table. A table with no rows is sent as a schema and no batch."""
    return exchange_batches(client, descriptor, table.schema,
                            table.to_batches(max_chunksize=max_chunksize))


def exchange_batches(client, descriptor, schema, batches):
    """Sends exactly these record batches (zero-row ones included); returns the output table.

    Writes one batch and reads its output batch before writing the next (a map function sends
    exactly one output batch per input batch), so nothing depends on how much gRPC buffers."""
    writer, reader = client.do_exchange(descriptor)
    try:
        writer.begin(schema)
        outputs = []
        for batch in batches:
            writer.write_batch(batch)
            output = reader.read_chunk().data
            assert output.num_rows == batch.num_rows, (
                f"output batch {len(outputs)} has {output.num_rows} rows, input had {batch.num_rows}")
            outputs.append(output)
        writer.done_writing()
        rest = reader.read_all()
        assert rest.num_rows == 0, f"the server sent {rest.num_rows} rows more than it was sent"
        out_schema = reader.schema
    except BaseException:
        _close_quietly(writer)
        raise
    writer.close()
    return pa.Table.from_batches(outputs, schema=out_schema)


_MESSAGE = re.compile(r"with message: (.*?)(?:\. gRPC client debug context:.*)?$", re.DOTALL)


def server_message(error):
    """The status message the server sent, without pyarrow's prefix and gRPC debug context."""
    text = str(error)
    match = _MESSAGE.search(text)
    return match.group(1) if match else text


def assert_error(excinfo, kind, *fragments):
    """Checks an error against the protocol doc: the message is
    `<kind>[ in <module>/<function> (<engine>) at batch <n>]: <detail>` and contains fragments.
    (Errors of a session before its first batch, e.g. from `init`, have no ` at batch <n>`.)"""
    message = server_message(excinfo.value)
    prefix = re.compile(re.escape(kind)
                        + r"( in [^ ]+/[^ ]+ \((aot|interpreter)\)( at batch \d+)?)?: ")
    assert prefix.match(message), f"message does not start with {kind!r}: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in message {message!r}"
    assert "java.lang." not in message and not re.search(r"\n\s*at [\w.$]+\(", message), (
        f"a Java stack trace reached the client: {message!r}")
    return message
