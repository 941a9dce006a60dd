"""Python client for wasm-flight, an Arrow Flight server that runs WebAssembly functions over
streamed record batches.

    import pyarrow as pa
    import wasm_flight

    with wasm_flight.connect("grpc://127.0.0.1:8815") as client:
        client.register("add_one", "add_one.wasm")
        table = client.call("add_one", "add_one", pa.table({"x": [1, 2, 3]}))

See :func:`connect`, :class:`Client` and :mod:`wasm_flight.errors`.
"""

from .client import Client, connect
from .errors import (AbiViolation, BadRequest, Cancelled, ClientStalled, GuestError,
                     GuestOutOfMemory, InputRejected, LimitExceeded, ModuleRejected, NotFound,
                     ServerError, TimedOut, TimeLimitExceeded, Trap, Unauthenticated,
                     Unauthorized, Unavailable, Unsupported, WasmFlightError)
from .exchange import ResultStream
from .models import Function, Module

__version__ = "0.1.0"

__all__ = [
    "connect", "Client", "ResultStream", "Module", "Function",
    "WasmFlightError", "BadRequest", "ModuleRejected", "InputRejected", "NotFound",
    "Unsupported", "LimitExceeded", "GuestOutOfMemory", "TimedOut", "TimeLimitExceeded",
    "ClientStalled", "GuestError", "Trap", "AbiViolation", "ServerError", "Cancelled",
    "Unauthenticated", "Unauthorized", "Unavailable",
]
