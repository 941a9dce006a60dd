"""The client: :func:`connect` and :class:`Client` (register, list, describe, unregister, call)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, Union, overload

import pyarrow as pa
import pyarrow.flight as flight

from .errors import from_flight, is_flight_status
from .exchange import ResultStream
from .inputs import DEFAULT_MAX_BATCH_BYTES, as_batches, split_batches
from .models import Module

__all__ = ["Client", "connect"]

PathOrBytes = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
TlsConfig = Union[bool, str, "os.PathLike[str]", bytes, Mapping[str, Any], None]

_PLAIN_SCHEMES = ("grpc://", "grpc+tcp://")
_TLS_SCHEME = "grpc+tls://"


def _read_pem(value: Any) -> bytes:
    """PEM bytes from bytes/str content or from a path to a file."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    text: str = os.fspath(value)
    if "-----BEGIN" in text:
        return text.encode()
    with open(text, "rb") as f:
        return bytes(f.read())


def _location(uri: str, tls: bool) -> str:
    if "://" not in uri:
        uri = "grpc://" + uri
    if tls:
        for scheme in _PLAIN_SCHEMES:
            if uri.startswith(scheme):
                return _TLS_SCHEME + uri[len(scheme):]
        return uri
    if uri.startswith(_TLS_SCHEME):
        raise ValueError(f"tls=False but the URI {uri!r} asks for TLS")
    return uri


def _tls_arguments(uri: str, tls: TlsConfig) -> Tuple[str, Dict[str, Any]]:
    """The location and the ``flight.connect`` keyword arguments for a ``tls`` setting."""
    if tls is None:
        return _location(uri, uri.startswith(_TLS_SCHEME)), {}
    if tls is False:
        return _location(uri, False), {}
    if tls is True:
        return _location(uri, True), {}
    if isinstance(tls, Mapping):
        known = {"root_certs", "cert_chain", "private_key", "override_hostname", "verify"}
        unknown = set(tls) - known
        if unknown:
            raise ValueError(f"unknown tls setting(s) {sorted(unknown)}; known: {sorted(known)}")
        kwargs: Dict[str, Any] = {}
        if tls.get("root_certs") is not None:
            kwargs["tls_root_certs"] = _read_pem(tls["root_certs"])
        if tls.get("cert_chain") is not None:
            kwargs["cert_chain"] = _read_pem(tls["cert_chain"])
        if tls.get("private_key") is not None:
            kwargs["private_key"] = _read_pem(tls["private_key"])
        if tls.get("override_hostname") is not None:
            kwargs["override_hostname"] = str(tls["override_hostname"])
        if tls.get("verify") is False:
            kwargs["disable_server_verification"] = True
        return _location(uri, True), kwargs
    return _location(uri, True), {"tls_root_certs": _read_pem(tls)}


def connect(uri: str, token: Optional[str] = None, tls: TlsConfig = None, *,
            timeout: Optional[float] = None, headers: Optional[Mapping[str, str]] = None,
            **flight_options: Any) -> "Client":
    """Connects to a wasm-flight server.

    Args:
        uri: the server's address: ``"grpc://host:port"``, ``"grpc+tls://host:port"`` or
            ``"host:port"`` (``./run-server.sh`` prints it: ``grpc://127.0.0.1:8815``).
        token: sent as ``authorization: Bearer <token>`` on every call. The server does not
            check it yet (authentication is planned); it is passed through as a plain header,
            for a proxy or a future server that does.
        tls: ``None`` (TLS only if the URI is ``grpc+tls://``), ``False`` (plaintext),
            ``True`` (TLS, system root certificates), a path to a CA certificate PEM file or
            the PEM bytes (TLS, that CA), or a dict with any of ``root_certs`` (path or PEM),
            ``cert_chain`` and ``private_key`` (mutual TLS), ``override_hostname`` and
            ``verify`` (``False`` skips the server's certificate check: insecure). With TLS
            a ``grpc://`` URI becomes ``grpc+tls://``.
        timeout: default deadline in seconds for every call (``None``: none); a call's own
            ``timeout=`` overrides it. Past it the call fails with
            :class:`~wasm_flight.errors.TimedOut`.
        headers: more headers to send on every call.
        **flight_options: passed to ``pyarrow.flight.connect`` (e.g. ``middleware``,
            ``generic_options``).

    Returns:
        A :class:`Client`; close it (or use it as a context manager) when done. Connecting is
        lazy in gRPC: an unreachable server is reported by the first call
        (:class:`~wasm_flight.errors.Unavailable`).
    """
    location, tls_kwargs = _tls_arguments(uri, tls)
    call_headers: List[Tuple[bytes, bytes]] = []
    if token is not None:
        call_headers.append((b"authorization", f"Bearer {token}".encode()))
    for name, value in (headers or {}).items():
        call_headers.append((name.lower().encode(), str(value).encode()))
    try:
        raw = flight.connect(location, **tls_kwargs, **flight_options)
    except Exception as e:  # noqa: BLE001 - mapped, or re-raised as it is
        if is_flight_status(e):
            raise from_flight(e) from e
        raise
    return Client(raw, call_headers, timeout)


class Client:
    """A connection to a wasm-flight server (from :func:`connect`).

    Every method raises a :class:`~wasm_flight.errors.WasmFlightError` subclass carrying the
    server's message when the server refuses or fails the call."""

    def __init__(self, flight_client: flight.FlightClient,
                 headers: Optional[List[Tuple[bytes, bytes]]] = None,
                 timeout: Optional[float] = None) -> None:
        self._flight = flight_client
        self._headers = list(headers or [])
        self._timeout = timeout

    @property
    def flight(self) -> flight.FlightClient:
        """The underlying ``pyarrow.flight.FlightClient`` (send this client's headers yourself:
        :meth:`call_options`)."""
        return self._flight

    def call_options(self, timeout: Optional[float] = None) -> flight.FlightCallOptions:
        """The ``FlightCallOptions`` this client uses: its headers and deadline."""
        t = self._timeout if timeout is None else timeout
        return flight.FlightCallOptions(timeout=t, headers=self._headers or None)

    # -- actions ------------------------------------------------------------------------------

    def _action(self, action_type: str, body: Optional[Mapping[str, Any]],
                timeout: Optional[float] = None) -> Any:
        raw = b"" if body is None else json.dumps(body).encode()
        try:
            results = list(self._flight.do_action(flight.Action(action_type, raw),
                                                  self.call_options(timeout)))
        except Exception as e:  # noqa: BLE001 - mapped, or re-raised as it is
            if is_flight_status(e):
                raise from_flight(e) from e
            raise
        if len(results) != 1:
            raise ValueError(f"action {action_type!r} returned {len(results)} results, not 1")
        return json.loads(results[0].body.to_pybytes())

    def register(self, name: str, wasm: PathOrBytes, *,
                 timeout: Optional[float] = None) -> Module:
        """Registers (uploads, validates and compiles) a module under ``name``.

        Args:
            name: 1-64 characters of ``A-Z a-z 0-9 _ -``, not starting with ``-``.
            wasm: the module: a path to a ``.wasm`` file, or its bytes.
            timeout: deadline in seconds (compiling a large module takes a while).

        Returns:
            The module's description; ``replaced`` says whether it replaced other bytes of
            the same name (the same bytes again are a no-op).

        Raises:
            ModuleRejected: the module does not validate (the message says why).
            BadRequest: an invalid name.
            LimitExceeded: the module is above the server's size or compile-time limit.
        """
        if isinstance(wasm, (bytes, bytearray, memoryview)):
            data = bytes(wasm)
        else:
            with open(os.fspath(wasm), "rb") as f:
                data = f.read()
        body = {"name": name, "wasm": base64.b64encode(data).decode("ascii")}
        return Module.from_json(self._action("register", body, timeout))

    def list(self) -> List[Module]:
        """Every registered module, sorted by name."""
        return [Module.from_json(m) for m in self._action("list", None)]

    def describe(self, name: str) -> Module:
        """The module called ``name``; :class:`~wasm_flight.errors.NotFound` if there is none."""
        return Module.from_json(self._action("describe", {"name": name}))

    def unregister(self, name: str) -> None:
        """Removes a module (sessions already running keep their instance);
        :class:`~wasm_flight.errors.NotFound` if there is none."""
        self._action("unregister", {"name": name})

    # -- exchanges ----------------------------------------------------------------------------

    @staticmethod
    def descriptor(module: str, function: str, engine: Optional[str] = None,
                   options: Optional[Mapping[str, Any]] = None,
                   limits: Optional[Mapping[str, int]] = None) -> flight.FlightDescriptor:
        """The ``DoExchange`` descriptor for a call: the path ``[module, function]``, or the
        JSON command when ``engine``, ``options`` or ``limits`` is given."""
        if engine is None and options is None and limits is None:
            return flight.FlightDescriptor.for_path(module, function)
        command: Dict[str, Any] = {"module": module, "function": function}
        if engine is not None:
            command["engine"] = engine
        if options is not None:
            command["options"] = dict(options)
        if limits is not None:
            command["limits"] = dict(limits)
        return flight.FlightDescriptor.for_command(json.dumps(command).encode())

    @overload
    def call(self, module: str, function: str, data: Any, engine: Optional[str] = ...,
             options: Optional[Mapping[str, Any]] = ...,
             limits: Optional[Mapping[str, int]] = ..., *, stream: Literal[False] = ...,
             max_batch_bytes: Optional[int] = ..., timeout: Optional[float] = ...) -> pa.Table:
        ...

    @overload
    def call(self, module: str, function: str, data: Any, engine: Optional[str] = ...,
             options: Optional[Mapping[str, Any]] = ...,
             limits: Optional[Mapping[str, int]] = ..., *, stream: Literal[True],
             max_batch_bytes: Optional[int] = ..., timeout: Optional[float] = ...
             ) -> ResultStream:
        ...

    def call(self, module: str, function: str, data: Any, engine: Optional[str] = None,
             options: Optional[Mapping[str, Any]] = None,
             limits: Optional[Mapping[str, int]] = None, *, stream: bool = False,
             max_batch_bytes: Optional[int] = DEFAULT_MAX_BATCH_BYTES,
             timeout: Optional[float] = None) -> Union[pa.Table, ResultStream]:
        """Streams ``data`` through ``module``'s ``function`` and returns its output.

        The input is written from a background thread while this thread reads the output, so
        inputs of any size go through without filling the server's output budget.

        Args:
            module, function: what to run (``describe`` lists a module's functions).
            data: a ``pa.Table``, ``pa.RecordBatch``, ``pa.RecordBatchReader`` (read lazily,
                as it is sent), a pandas or polars ``DataFrame`` (converted to Arrow; a pandas
                index is not sent), or any object with ``__arrow_c_stream__``.
            engine: ``"aot"`` or ``"interpreter"``; ``None``: the server's default.
            options: passed to the function's ``init`` (a JSON object).
            limits: lower limits for this call: ``max_memory_pages``, ``call_timeout_ms``,
                ``session_timeout_ms``, ``stall_timeout_ms``.
            stream: ``False`` returns the whole output as one ``pa.Table``; ``True`` returns a
                :class:`~wasm_flight.exchange.ResultStream` to read batch by batch (close it,
                or use ``with``, to cancel early).
            max_batch_bytes: input batches larger than this are sent as zero-copy slices
                that fit (``None``: as they are). Batch boundaries are what a ``table``
                function's ``row`` column counts from.
            timeout: deadline in seconds for the whole call (``None``: the client's default).

        Returns:
            The output table (with the output schema even when no row came back: a filter
            that keeps nothing) or, with ``stream=True``, the stream.

        Raises:
            WasmFlightError: a subclass for what the server reported (``NotFound``,
                ``BadRequest``, ``Trap``, ``LimitExceeded``, ``ClientStalled``, ...).
            TypeError: ``data`` is of a kind that cannot be sent.
        """
        schema, batches = as_batches(data)
        result = ResultStream(self._flight, self.descriptor(module, function, engine, options,
                                                            limits),
                              self.call_options(timeout), schema,
                              split_batches(schema, batches, max_batch_bytes))
        if stream:
            return result
        with result:
            return result.read_all()

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the connection."""
        self._flight.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
