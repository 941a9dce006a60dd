"""Scale out on Ray: one wasm-flight server per Ray node, and a callable class for
``ray.data.Dataset.map_batches`` that streams each block through the node-local server.

    import ray, wasm_flight.ray as wfr

    ray.init()
    cluster = wfr.start_servers()                  # one server per alive node
    cluster.register("line_total", "line_total.wasm")
    ds = ray.data.read_parquet("s3://bucket/orders/")
    out = ds.map_batches(wfr.WasmMapper, batch_format="pyarrow", num_cpus=0.25,
                         compute=ray.data.ActorPoolStrategy(size=4),
                         fn_constructor_kwargs=cluster.mapper("line_total", "line_total"))
    out.write_parquet("s3://bucket/totals/")
    cluster.shutdown()

Each server is a Ray actor (:class:`ServerActor`) that launches the Java server as a child
process, restarts it when it dies (same port, same data directory, so registered modules stay),
and reports its address. :class:`WasmMapper` calls the server on its own node first and, when
a server is unreachable, the next one; a failure of the function itself (a guest error, a trap,
a refused input) is raised at once with the guest's message, on no other server.

``ray`` is imported only by this module: ``import wasm_flight`` never needs it
(``pip install wasm-flight[ray]``). See proto-docs/ray.md.
"""

import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import errors
from .client import connect

__all__ = ["ServerActor", "ServerCluster", "WasmMapper", "start_servers", "server_command"]

_LISTENING = re.compile(r"wasm-flight listening on (grpc(?:\+tls)?)://([^:\s]+):(\d+)")
_START_TIMEOUT_S = 120.0
_STOP_TIMEOUT_S = 20.0


def server_command(command: Union[None, str, Sequence[str]] = None) -> List[str]:
    """The command that starts a server: ``command`` if given, else ``$WASM_FLIGHT_SERVER``
    (split on spaces), else ``wasm-flight`` on the PATH."""
    if command is None:
        command = os.environ.get("WASM_FLIGHT_SERVER")
    if command is None:
        found = shutil.which("wasm-flight")
        if found is None:
            raise FileNotFoundError(
                "no wasm-flight launcher: pass command=[...] (e.g. the repository's "
                "scripts/wasm-flight), set WASM_FLIGHT_SERVER, or put wasm-flight on the PATH")
        return [found]
    if isinstance(command, str):
        return command.split()
    return list(command)


class ServerActor:
    """One supervised wasm-flight server (use it as a Ray actor: :func:`start_servers` does).

    Args:
        command: the launcher (see :func:`server_command`).
        data_dir: the registry directory; a fresh temporary one (removed at :meth:`stop`) when
            ``None``.
        host: the address to bind: ``"127.0.0.1"`` for a one-machine cluster, ``"0.0.0.0"`` to
            be reachable from other nodes (then ``args`` must say how: ``--allow-plaintext
            --allow-anonymous`` on a private network, or TLS and ``--users-file``).
        args: more ``serve`` options (limits, ``--register NAME=FILE``, TLS, ...).
        advertise: the host name clients use; default: the node's IP when ``host`` is a
            wildcard, else ``host``.
        connect_options: keyword arguments of :func:`wasm_flight.connect` for this actor's own
            calls (``register``, ``wait_ready``): e.g. ``{"token": ..., "tls": ...}``.
    """

    def __init__(self, command: Union[None, str, Sequence[str]] = None,
                 data_dir: Optional[str] = None, host: str = "127.0.0.1",
                 args: Sequence[str] = (), advertise: Optional[str] = None,
                 connect_options: Optional[Mapping[str, Any]] = None) -> None:
        self._connect = dict(connect_options or {})
        self._command = server_command(command)
        self._own_dir = data_dir is None
        self._data_dir = data_dir or tempfile.mkdtemp(prefix="wasm-flight-ray-")
        self._host = host
        self._args = list(args)
        self._advertise = advertise
        self._lock = threading.Lock()
        self._process: Optional[subprocess.Popen] = None
        self._port = 0
        self._scheme = "grpc"
        self._restarts = 0
        self._stopping = False
        self._log = Path(self._data_dir) / "server.log"
        self._launch()
        threading.Thread(target=self._supervise, name="wasm-flight-supervisor",
                         daemon=True).start()

    # -- process -----------------------------------------------------------------------------

    def _launch(self) -> None:
        argv = [*self._command, "serve", "--port", str(self._port), "--host", self._host,
                "--data-dir", self._data_dir, *self._args]
        log = open(self._log, "ab")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=log, text=True, start_new_session=True)
        log.close()
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                process.kill()
                raise RuntimeError(f"wasm-flight did not report 'listening' within "
                                   f"{_START_TIMEOUT_S:.0f} s: {argv}\n{self._tail()}")
            if line is None:
                process.wait()
                raise RuntimeError(f"wasm-flight exited with code {process.returncode} before "
                                   f"it was listening: {argv}\n{self._tail()}")
            match = _LISTENING.search(line)
            if match:
                self._scheme, self._port = match.group(1), int(match.group(3))
                self._process = process
                _watch(os.getpid(), process.pid)
                return

    def _tail(self) -> str:
        try:
            return self._log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _supervise(self) -> None:
        """Restarts the server when it dies (not after :meth:`stop`)."""
        while True:
            with self._lock:
                process = self._process
            if process is None:
                return
            process.wait()
            with self._lock:
                if self._stopping:
                    return
                for attempt in range(30):
                    try:
                        self._launch()  # the same port: clients keep their address
                        self._restarts += 1
                        break
                    except RuntimeError:
                        if attempt == 29:
                            self._process = None
                            raise
                        time.sleep(0.5)  # the old socket may linger a moment

    # -- what callers ask ----------------------------------------------------------------------

    def address(self) -> str:
        """``grpc://host:port`` of the server, as clients on any node reach it."""
        host = self._advertise or self._host
        if host in ("0.0.0.0", "::", ""):
            host = _node_ip()
        return f"{self._scheme}://{host}:{self._port}"

    def node_id(self) -> str:
        """The Ray node this server runs on."""
        import ray
        return ray.get_runtime_context().get_node_id()

    def info(self) -> Dict[str, Any]:
        """Address, node, process id, restart count and data directory."""
        with self._lock:
            pid = self._process.pid if self._process else None
            restarts = self._restarts
        return {"address": self.address(), "node_id": self.node_id(), "pid": pid,
                "restarts": restarts, "data_dir": self._data_dir}

    def register(self, name: str, wasm: bytes) -> Dict[str, Any]:
        """Registers a module on this server (``created``: whether it stored new bytes)."""
        with connect(self.address(), **self._connect) as client:
            module = client.register(name, wasm)
        return {"name": module.name, "version": module.raw.get("version"),
                "sha256": module.sha256, "created": module.raw.get("created")}

    def kill_server(self) -> int:
        """Kills the Java process with SIGKILL (for failure tests); the supervisor restarts it.
        Returns the pid killed."""
        with self._lock:
            process = self._process
        assert process is not None
        os.killpg(process.pid, signal.SIGKILL)
        return process.pid

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Waits until the server answers (after a restart); returns its address."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with connect(self.address(), **{"timeout": 5, **self._connect}) as client:
                    client.list()
                return self.address()
            except errors.WasmFlightError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 20 s) and removes an own data dir."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        if self._own_dir:
            shutil.rmtree(self._data_dir, ignore_errors=True)


def _watch(actor_pid: int, server_pid: int) -> None:
    """Stops the server if the actor's process dies without stopping it (killed by Ray, or a
    crash): a small shell loop of its own, which ends by itself when the server ends first."""
    script = (f"while kill -0 {actor_pid} 2>/dev/null; do "
              f"kill -0 {server_pid} 2>/dev/null || exit 0; sleep 1; done; "
              f"kill -TERM -{server_pid} 2>/dev/null; sleep {int(_STOP_TIMEOUT_S)}; "
              f"kill -KILL -{server_pid} 2>/dev/null")
    subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _node_ip() -> str:
    import ray
    return ray.util.get_node_ip_address()


class ServerCluster:
    """The servers :func:`start_servers` started: their addresses, and what runs on all."""

    def __init__(self, actors: List[Any], infos: List[Dict[str, Any]],
                 connect_options: Optional[Mapping[str, Any]] = None) -> None:
        self._actors = actors
        self._infos = infos
        self._connect = dict(connect_options or {})

    @property
    def actors(self) -> List[Any]:
        """The :class:`ServerActor` handles, one per server."""
        return list(self._actors)

    def servers(self) -> List[Tuple[str, str]]:
        """``(node_id, address)`` of every server."""
        return [(i["node_id"], i["address"]) for i in self._infos]

    def register(self, name: str, wasm: Union[str, os.PathLike, bytes]) -> List[Dict[str, Any]]:
        """Registers a module on every server (each keeps its own registry)."""
        import ray
        data = wasm if isinstance(wasm, (bytes, bytearray)) else Path(wasm).read_bytes()
        return ray.get([a.register.remote(name, bytes(data)) for a in self._actors])

    def mapper(self, module: str, function: str, engine: Optional[str] = None,
               options: Optional[Mapping[str, Any]] = None,
               retries: Optional[int] = None) -> Dict[str, Any]:
        """The ``fn_constructor_kwargs`` of :class:`WasmMapper` for this cluster."""
        return {"servers": self.servers(), "module": module, "function": function,
                "engine": engine, "options": dict(options) if options else None,
                "retries": retries, "connect_options": self._connect or None}

    def shutdown(self) -> None:
        """Stops every server and its actor (no Java process is left)."""
        import ray
        try:
            ray.get([a.stop.remote() for a in self._actors])
        finally:
            for a in self._actors:
                ray.kill(a)


def start_servers(servers: Optional[int] = None, *,
                  command: Union[None, str, Sequence[str]] = None, host: Optional[str] = None,
                  args: Sequence[str] = (), data_dir: Optional[str] = None,
                  connect_options: Optional[Mapping[str, Any]] = None) -> ServerCluster:
    """Starts wasm-flight servers as Ray actors and waits until all listen.

    Args:
        servers: ``None``: one per alive Ray node, each pinned to its node; a number: that
            many, placed by Ray (e.g. two on a one-machine cluster).
        command: the launcher on the nodes (see :func:`server_command`).
        host: the bind address; default ``127.0.0.1`` on a one-node cluster, ``0.0.0.0``
            with several nodes (pass the security options in ``args``).
        args: more ``serve`` options for every server.
        data_dir: one registry directory for every server (e.g. on a shared file system,
            with the modules registered before the start); default: a temporary one each.
        connect_options: :func:`wasm_flight.connect` keyword arguments (``token``, ``tls``)
            for every call to the servers: registering, and the mappers'.

    The actors take no CPU from Ray's accounting (``num_cpus=0``): the Java server uses the
    node's cores itself, so size ``map_batches`` concurrency for both.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if command is not None:
        # A relative launcher path is the driver's: the actors may run in another directory.
        argv = server_command(command)
        if os.sep in argv[0] and not os.path.isabs(argv[0]):
            argv[0] = os.path.abspath(argv[0])
        command = argv
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if host is None:
        host = "127.0.0.1" if len(nodes) <= 1 else "0.0.0.0"
    remote = ray.remote(num_cpus=0, max_concurrency=8)(ServerActor)
    actors = []
    if servers is None:
        for node in nodes:
            strategy = NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False)
            actors.append(remote.options(scheduling_strategy=strategy).remote(
                command, data_dir, host, tuple(args), None, connect_options))
    else:
        if servers < 1:
            raise ValueError(f"servers must be at least 1, got {servers}")
        actors = [remote.remote(command, data_dir, host, tuple(args), None, connect_options)
                  for _ in range(servers)]
    try:
        infos = ray.get([a.info.remote() for a in actors])
    except BaseException:
        for a in actors:
            ray.kill(a)
        raise
    return ServerCluster(actors, infos, connect_options)


class WasmMapper:
    """A callable class for ``Dataset.map_batches(WasmMapper, batch_format="pyarrow",
    fn_constructor_kwargs=cluster.mapper(module, function))``: each block goes through one
    exchange on the server of this worker's node (else any), and comes back as a
    ``pyarrow.Table``.

    A server that cannot be reached (``Unavailable``: stopped, restarting, killed mid-call) is
    retried on the next server, then again after a pause, up to ``retries`` extra attempts
    (default: twice the number of servers); a failure of the function itself (``GuestError``,
    ``Trap``, ``BadRequest``, ``LimitExceeded``, ...) is deterministic and raised at once,
    with the server's message.
    """

    def __init__(self, servers: Sequence[Tuple[str, str]], module: str, function: str,
                 engine: Optional[str] = None, options: Optional[Mapping[str, Any]] = None,
                 retries: Optional[int] = None,
                 connect_options: Optional[Mapping[str, Any]] = None) -> None:
        if not servers:
            raise ValueError("no servers: start them with wasm_flight.ray.start_servers()")
        self._module = module
        self._function = function
        self._engine = engine
        self._options = options
        self._retries = 2 * len(servers) if retries is None else retries
        here = _current_node()
        local = [a for n, a in servers if n == here]
        others = [a for n, a in servers if n != here]
        # Spread the workers of one node over its servers (several per node on one machine).
        if local:
            shift = os.getpid() % len(local)
            local = local[shift:] + local[:shift]
        self._order = local + others
        self._connect = dict(connect_options or {})
        self._clients: Dict[str, Any] = {}
        self.calls_by_server: Dict[str, int] = {}

    def _client(self, address: str) -> Any:
        client = self._clients.get(address)
        if client is None:
            client = connect(address, **self._connect)
            self._clients[address] = client
        return client

    def __call__(self, batch: pa.Table) -> pa.Table:
        last: Optional[BaseException] = None
        attempts = self._retries + 1
        for attempt in range(attempts):
            address = self._order[attempt % len(self._order)]
            try:
                out = self._client(address).call(self._module, self._function, batch,
                                                 self._engine, self._options)
                self.calls_by_server[address] = self.calls_by_server.get(address, 0) + 1
                return out
            except errors.Unavailable as e:
                last = e
                stale = self._clients.pop(address, None)
                if stale is not None:
                    stale.close()
                if (attempt + 1) % len(self._order) == 0:
                    time.sleep(min(2.0, 0.2 * (attempt + 1)))  # every server failed: wait
        raise errors.Unavailable(
            f"no wasm-flight server answered after {attempts} attempts "
            f"({', '.join(self._order)}): {last}") from last


def _current_node() -> Optional[str]:
    try:
        import ray
        return ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - outside Ray: no node preference
        return None
