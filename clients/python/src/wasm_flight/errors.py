"""Typed exceptions for every failure the server reports (proto-docs/errors.md).

The server sends every error as a Flight status whose message reads
``<kind>[ in <module>/<function> (<engine>)[ at batch <n>]]: <detail>``. :func:`from_flight`
turns the exception pyarrow raised for such a status into the :class:`WasmFlightError` subclass
named after the kind, keeping the server's message word for word; where the message carries no
kind (a status from gRPC itself, e.g. an unreachable server) the status code decides.

Hierarchy::

    WasmFlightError
    ├── BadRequest              INVALID_ARGUMENT "bad request"
    │   ├── ModuleRejected      INVALID_ARGUMENT "module rejected"
    │   └── InputRejected       INVALID_ARGUMENT "input rejected by guest"
    ├── NotFound                NOT_FOUND        "not found"
    ├── Unsupported             UNIMPLEMENTED    "unsupported"
    ├── LimitExceeded           RESOURCE_EXHAUSTED "limit exceeded"
    │   ├── GuestOutOfMemory    RESOURCE_EXHAUSTED "guest out of memory"
    │   └── TimeLimitExceeded   TIMED_OUT        "time limit exceeded" (also a TimedOut)
    ├── TimedOut                TIMED_OUT (any, including the client's own deadline)
    │   ├── TimeLimitExceeded
    │   └── ClientStalled       TIMED_OUT        "client stalled"
    ├── GuestError              INTERNAL         "guest error"
    │   ├── Trap                INTERNAL         "trap"
    │   └── AbiViolation        INTERNAL         "ABI violation"
    ├── ServerError             INTERNAL without a kind: a server bug (see the server log)
    ├── Cancelled               CANCELLED
    ├── Unauthenticated         UNAUTHENTICATED
    ├── Unauthorized            PERMISSION_DENIED
    └── Unavailable             UNAVAILABLE (server not reachable, connection lost)
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Type

import pyarrow as pa
import pyarrow.flight as flight

__all__ = [
    "WasmFlightError", "BadRequest", "ModuleRejected", "InputRejected", "NotFound",
    "Unsupported", "LimitExceeded", "GuestOutOfMemory", "TimedOut", "TimeLimitExceeded",
    "ClientStalled", "GuestError", "Trap", "AbiViolation", "ServerError", "Cancelled",
    "Unauthenticated", "Unauthorized", "Unavailable", "from_flight", "is_flight_status",
]


class WasmFlightError(Exception):
    """A failure reported by the server or by the transport.

    Attributes:
        message: the server's status message, exactly as sent (without pyarrow's prefix and
            gRPC's debug context); ``str(error)`` is this message.
        kind: the message's kind prefix (``"bad request"``, ``"trap"``, ...; errors.md), or
            ``None`` when the message has none (e.g. a status made by gRPC itself).
        status: the Flight/gRPC status name (``"INVALID_ARGUMENT"``, ``"INTERNAL"``, ...), or
            ``None`` when it could not be told.
        module, function, engine: where the error happened, when the message says so.
        batch: the 0-based input batch index, when the message says so.
        detail: the message after the kind and location (the whole message without a kind).
    """

    def __init__(self, message: str, *, kind: Optional[str] = None,
                 status: Optional[str] = None, module: Optional[str] = None,
                 function: Optional[str] = None, engine: Optional[str] = None,
                 batch: Optional[int] = None, detail: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.module = module
        self.function = function
        self.engine = engine
        self.batch = batch
        self.detail = message if detail is None else detail

    def __str__(self) -> str:
        return self.message


class BadRequest(WasmFlightError):
    """INVALID_ARGUMENT ``bad request``: a malformed request, descriptor, option or input."""


class ModuleRejected(BadRequest):
    """INVALID_ARGUMENT ``module rejected``: registration refused (validation failed)."""


class InputRejected(BadRequest):
    """INVALID_ARGUMENT ``input rejected by guest``: the guest refused its input or options."""


class NotFound(WasmFlightError):
    """NOT_FOUND: unknown module or function."""


class Unsupported(WasmFlightError):
    """UNIMPLEMENTED ``unsupported``: a Flight method the server does not offer."""


class LimitExceeded(WasmFlightError):
    """RESOURCE_EXHAUSTED ``limit exceeded``: a memory, size or output limit was reached."""


class GuestOutOfMemory(LimitExceeded):
    """RESOURCE_EXHAUSTED ``guest out of memory``: the guest could not allocate."""


class TimedOut(WasmFlightError):
    """TIMED_OUT: a time limit of the server, or the call's own deadline (``timeout=``)."""


class TimeLimitExceeded(TimedOut, LimitExceeded):
    """TIMED_OUT ``time limit exceeded``: a guest call or the session ran past its limit."""


class ClientStalled(TimedOut):
    """TIMED_OUT ``client stalled``: the client neither wrote nor read for the stall time."""


class GuestError(WasmFlightError):
    """INTERNAL ``guest error``: the guest failed (and the subclasses: it trapped, broke the ABI)."""


class Trap(GuestError):
    """INTERNAL ``trap``: the guest trapped (a Rust panic, out-of-bounds access, ...)."""


class AbiViolation(GuestError):
    """INTERNAL ``ABI violation``: the guest's output broke the ABI."""


class ServerError(WasmFlightError):
    """INTERNAL with no kind: a bug in the server (its log has the details)."""


class Cancelled(WasmFlightError):
    """CANCELLED: the call was cancelled (by this client, or the connection went away)."""


class Unauthenticated(WasmFlightError):
    """UNAUTHENTICATED: missing or invalid credentials."""


class Unauthorized(WasmFlightError):
    """PERMISSION_DENIED: the credentials do not allow this call."""


class Unavailable(WasmFlightError):
    """UNAVAILABLE: the server cannot be reached or the connection broke."""


_BY_KIND: Dict[str, Type[WasmFlightError]] = {
    "bad request": BadRequest,
    "module rejected": ModuleRejected,
    "input rejected by guest": InputRejected,
    "not found": NotFound,
    "unsupported": Unsupported,
    "limit exceeded": LimitExceeded,
    "guest out of memory": GuestOutOfMemory,
    "time limit exceeded": TimeLimitExceeded,
    "client stalled": ClientStalled,
    "guest error": GuestError,
    "trap": Trap,
    "ABI violation": AbiViolation,
    "cancelled": Cancelled,
}

_BY_STATUS: Dict[str, Type[WasmFlightError]] = {
    "INVALID_ARGUMENT": BadRequest,
    "NOT_FOUND": NotFound,
    "UNIMPLEMENTED": Unsupported,
    "RESOURCE_EXHAUSTED": LimitExceeded,
    "TIMED_OUT": TimedOut,
    "INTERNAL": ServerError,
    "CANCELLED": Cancelled,
    "UNAUTHENTICATED": Unauthenticated,
    "UNAUTHORIZED": Unauthorized,
    "UNAVAILABLE": Unavailable,
    "UNKNOWN": WasmFlightError,
    "FAILED": WasmFlightError,
}

# pyarrow's wording of each status ("Flight returned <words> error, with message: ...").
_STATUS_WORDS = {
    "invalid argument": "INVALID_ARGUMENT",
    "not found": "NOT_FOUND",
    "unimplemented": "UNIMPLEMENTED",
    "not implemented": "UNIMPLEMENTED",
    "resource exhausted": "RESOURCE_EXHAUSTED",
    "timeout": "TIMED_OUT",
    "timed out": "TIMED_OUT",
    "deadline exceeded": "TIMED_OUT",
    "internal": "INTERNAL",
    "cancelled": "CANCELLED",
    "unauthenticated": "UNAUTHENTICATED",
    "unauthorized": "UNAUTHORIZED",
    "permission denied": "UNAUTHORIZED",
    "unavailable": "UNAVAILABLE",
    "unknown": "UNKNOWN",
    "failed": "FAILED",
}

_BY_PYARROW_TYPE = (
    (flight.FlightUnauthenticatedError, "UNAUTHENTICATED"),
    (flight.FlightUnauthorizedError, "UNAUTHORIZED"),
    (flight.FlightUnavailableError, "UNAVAILABLE"),
    (flight.FlightTimedOutError, "TIMED_OUT"),
    (flight.FlightCancelledError, "CANCELLED"),
    (flight.FlightInternalError, "INTERNAL"),
    (pa.ArrowKeyError, "NOT_FOUND"),
    (pa.ArrowNotImplementedError, "UNIMPLEMENTED"),
)

_PYARROW_TEXT = re.compile(
    r"(?:Flight|gRPC) returned (?P<words>[a-z ]+?) error, with message: (?P<message>.*?)"
    r"(?:\. (?:gRPC client debug context|Detail):.*)?$", re.DOTALL)
_DEBUG_CONTEXT = re.compile(r"\.? gRPC client debug context:.*$", re.DOTALL)
_KINDS = "|".join(re.escape(k) for k in sorted(_BY_KIND, key=len, reverse=True))
_SERVER_MESSAGE = re.compile(
    rf"^(?P<kind>{_KINDS})"
    r"(?: in (?P<module>[^ /]+)/(?P<function>[^ ]+) \((?P<engine>[a-z]+)\)"
    r"(?: at batch (?P<batch>\d+))?)?: (?P<detail>.*)$", re.DOTALL)


def is_flight_status(error: BaseException) -> bool:
    """True when ``error`` is pyarrow's report of a Flight/gRPC status (not a local error)."""
    if isinstance(error, WasmFlightError):
        return True
    if isinstance(error, flight.FlightError):
        return True
    if not isinstance(error, pa.ArrowException):
        return False
    text = str(error)
    return _PYARROW_TEXT.search(text) is not None or _DEBUG_CONTEXT.search(text) is not None


def from_flight(error: BaseException) -> WasmFlightError:
    """The typed exception for a pyarrow Flight error (``error`` itself if already typed).

    Call only for errors :func:`is_flight_status` accepts; the result's ``__cause__`` is left
    to the caller (``raise from_flight(e) from e``)."""
    if isinstance(error, WasmFlightError):
        return error
    text = str(error)
    status = None
    message = text
    match = _PYARROW_TEXT.search(text)
    if match:
        message = match.group("message")
        status = _STATUS_WORDS.get(match.group("words").strip())
    else:
        message = _DEBUG_CONTEXT.sub("", text)
    for cls, name in _BY_PYARROW_TYPE:
        if isinstance(error, cls):
            status = status or name
            break
    if status is None and isinstance(error, pa.ArrowInvalid):
        status = "INVALID_ARGUMENT"
    parsed = _SERVER_MESSAGE.match(message)
    if parsed:
        kind = parsed.group("kind")
        batch = parsed.group("batch")
        return _BY_KIND[kind](
            message, kind=kind, status=status, module=parsed.group("module"),
            function=parsed.group("function"), engine=parsed.group("engine"),
            batch=None if batch is None else int(batch), detail=parsed.group("detail"))
    cls = _BY_STATUS.get(status or "", WasmFlightError)
    return cls(message, status=status)
