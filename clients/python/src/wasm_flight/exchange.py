"""One ``DoExchange``: a writer thread sends the input while the caller reads the output.

Reading and writing at the same time is what lets an input of any size through: the server
buffers output the client has not read only up to its output budget (flight-protocol.md,
"Reading, writing and the output budget"), so a client that wrote everything before reading
would stall on a large input.

Failure handling, both ways:

- the server's status (it can surface from a write, from ``done_writing`` or from a read) is
  raised from the reading side as a :class:`~wasm_flight.errors.WasmFlightError`;
- an error while producing the input (the caller's reader or iterator raised, a batch of
  another schema) cancels the call and is raised as it is, so the server never waits for
  input that will not come;
- closing the stream early (``close()``, leaving a ``with`` block, an exception in the loop
  that consumes it) cancels the call: the server stops the session at once.
"""

from __future__ import annotations

import threading
from typing import Any, Generator, Iterable, Iterator, List, Optional

import pyarrow as pa
import pyarrow.flight as flight

from .errors import from_flight, is_flight_status

__all__ = ["ResultStream"]

_JOIN_TIMEOUT_S = 30.0
_FINISH_GRACE_S = 0.5


def _typed(error: BaseException) -> BaseException:
    return from_flight(error) if is_flight_status(error) else error


class ResultStream:
    """The output of a call, batch by batch, read while the input is still being written.

    Iterate it for ``pa.RecordBatch`` objects, or use :meth:`read_all`, :meth:`read_next_batch`,
    :meth:`to_reader` (a real ``pa.RecordBatchReader``) or the Arrow C stream interface
    (``pa.table(stream)``, ``polars.from_arrow(stream)``). Use it as a context manager, or call
    :meth:`close`: a stream closed before its end cancels the call.

    A ``filter`` or ``aggregate`` function may produce no batch at all (an aggregate's only
    output comes after the last input batch): the stream then ends with no batch, and
    :attr:`schema` is still the output's schema (the server always sends one).
    """

    def __init__(self, flight_client: flight.FlightClient, descriptor: flight.FlightDescriptor,
                 options: flight.FlightCallOptions, schema: pa.Schema,
                 batches: Iterable[pa.RecordBatch]) -> None:
        self._source_error: Optional[BaseException] = None
        self._write_error: Optional[BaseException] = None
        self._stop = threading.Event()
        self._done = False
        self._closed = False
        try:
            self._writer, self._reader = flight_client.do_exchange(descriptor, options)
        except Exception as e:  # noqa: BLE001 - mapped, or re-raised as it is
            raise _typed(e) from e
        try:
            self._writer.begin(schema)
        except BaseException as e:
            self._abandon()
            raise self._error_after(e) from e
        self._thread = threading.Thread(target=self._feed, args=(batches,),
                                        name="wasm-flight-writer", daemon=True)
        self._thread.start()
        self._batches = self._read()

    # -- writer thread ------------------------------------------------------------------------

    def _feed(self, batches: Iterable[pa.RecordBatch]) -> None:
        try:
            iterator = iter(batches)
        except BaseException as e:  # noqa: BLE001 - handed to the reading side
            self._source_failed(e)
            return
        while not self._stop.is_set():
            try:
                batch = next(iterator)
            except StopIteration:
                break
            except BaseException as e:  # noqa: BLE001 - handed to the reading side
                self._source_failed(e)
                return
            if self._stop.is_set():
                return
            try:
                self._writer.write_batch(batch)
            except BaseException as e:  # noqa: BLE001 - handed to the reading side
                self._write_failed(e)
                return
        if self._stop.is_set():
            return
        try:
            self._writer.done_writing()
        except BaseException as e:  # noqa: BLE001 - handed to the reading side
            self._write_failed(e)

    def _source_failed(self, error: BaseException) -> None:
        self._source_error = error
        self._cancel()

    def _write_failed(self, error: BaseException) -> None:
        self._write_error = error
        if not is_flight_status(error):
            # A local failure (not the server's status): nothing will end the read otherwise.
            self._cancel()

    def _cancel(self) -> None:
        try:
            self._reader.cancel()
        except Exception:  # noqa: BLE001 - cancelling is best effort
            pass

    # -- reading side -------------------------------------------------------------------------

    def _read(self) -> Generator[pa.RecordBatch, None, None]:
        try:
            while True:
                try:
                    chunk = self._reader.read_chunk()
                except StopIteration:
                    break
                except BaseException as e:
                    raise self._error_after(e) from e
                if chunk.data is not None:
                    yield chunk.data
            self._finish()
        finally:
            if not self._done:
                self._abandon()

    def _error_after(self, read_error: BaseException) -> BaseException:
        """What to raise when the read (or ``begin``) failed with ``read_error``."""
        self._abandon()
        if self._source_error is not None:
            return self._source_error
        write_error = self._write_error
        if write_error is not None and not is_flight_status(write_error):
            return write_error  # a local write failure made us cancel the call
        if isinstance(read_error, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            return read_error
        if not is_flight_status(read_error) and write_error is not None:
            return _typed(write_error)
        return _typed(read_error)

    def _finish(self) -> None:
        """The output ended normally: wait for the writer, close, report a late failure."""
        self._thread.join()
        self._done = True
        self._closed = True
        try:
            self._writer.close()
        except BaseException as e:
            raise _typed(e) from e
        if self._source_error is not None:
            raise self._source_error
        if self._write_error is not None:
            raise _typed(self._write_error) from self._write_error

    def _abandon(self) -> None:
        """Stops the writer, cancels the call and closes the stream, once."""
        self._done = True
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            # A writer that is finishing (the stop is seen after its current write) ends first:
            # cancelling the call while it is inside done_writing() can abort the process in
            # pyarrow (seen in test_client). A writer still blocked after this is cancelled.
            thread.join(_FINISH_GRACE_S)
        self._cancel()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT_S)
            if thread.is_alive():
                return  # still inside a write: closing under it is not safe
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001 - the call failed or was cancelled already
            pass

    # -- public API ---------------------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        """The output schema; blocks until the server has sent it."""
        try:
            return self._reader.schema
        except BaseException as e:
            raise self._error_after(e) from e

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._batches

    def __next__(self) -> pa.RecordBatch:
        return next(self._batches)

    def read_next_batch(self) -> pa.RecordBatch:
        """The next output batch; ``StopIteration`` at the end."""
        return next(self._batches)

    def read_all(self) -> pa.Table:
        """Everything not read yet, as one table (with the output schema even when empty)."""
        batches: List[pa.RecordBatch] = list(self._batches)
        return pa.Table.from_batches(batches, schema=self.schema)

    def to_reader(self) -> pa.RecordBatchReader:
        """A ``pa.RecordBatchReader`` over the rest of the output (blocks for the schema)."""
        return pa.RecordBatchReader.from_batches(self.schema, self._batches)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.to_reader().__arrow_c_stream__(requested_schema)

    def close(self) -> None:
        """Ends the call: cancels it when its output has not been read to the end."""
        if not self._done:
            self._batches.close()  # a started generator cleans up in its finally
            self._abandon()  # (one never started does not): cancel, join, close

    def __enter__(self) -> "ResultStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
