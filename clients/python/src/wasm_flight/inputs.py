"""Turning what a caller passes to ``Client.call`` into a schema and a stream of record batches.

Nothing here imports pandas or polars: a pandas frame is recognised by its type's module and
converted with ``pa.Table.from_pandas``; everything else goes through the Arrow PyCapsule
interface (``__arrow_c_stream__`` / ``__arrow_c_array__``) or a ``to_arrow()`` method.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional, Tuple

import pyarrow as pa

__all__ = ["DEFAULT_MAX_BATCH_BYTES", "as_batches", "split_batches"]

#: Batches larger than this are split (zero-copy slices) before they are sent: gRPC refuses
#: messages above the server's inbound limit, and smaller batches keep the pipeline busy.
DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024


def _is_pandas_frame(data: Any) -> bool:
    cls = type(data)
    return cls.__module__.split(".")[0] == "pandas" and cls.__name__ == "DataFrame"


def as_batches(data: Any) -> Tuple[pa.Schema, Iterable[pa.RecordBatch]]:
    """The schema of ``data`` and its batches (an iterable read once, lazily for readers).

    Accepts a ``pa.Table``, a ``pa.RecordBatch``, a ``pa.RecordBatchReader``, a pandas
    ``DataFrame`` (its index is not sent: ``reset_index()`` first to send it), a polars
    ``DataFrame`` or ``LazyFrame`` (collected), and any object with ``__arrow_c_stream__``,
    ``__arrow_c_array__`` or ``to_arrow()``."""
    if isinstance(data, pa.Table):
        return data.schema, data.to_batches()
    if isinstance(data, pa.RecordBatch):
        return data.schema, [data]
    if isinstance(data, pa.RecordBatchReader):
        return data.schema, data
    if _is_pandas_frame(data):
        table = pa.Table.from_pandas(data, preserve_index=False)
        return table.schema, table.to_batches()
    if type(data).__name__ == "LazyFrame" and callable(getattr(data, "collect", None)):
        return as_batches(data.collect())
    if callable(getattr(data, "to_arrow", None)):
        converted = data.to_arrow()
        if isinstance(converted, (pa.Table, pa.RecordBatch, pa.RecordBatchReader)):
            return as_batches(converted)
    if hasattr(data, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(data)
        return reader.schema, reader
    if hasattr(data, "__arrow_c_array__"):
        batch = pa.record_batch(data)
        return batch.schema, [batch]
    raise TypeError(
        f"cannot send a {type(data).__module__}.{type(data).__qualname__}: pass a pyarrow "
        "Table, RecordBatch or RecordBatchReader, a pandas or polars DataFrame, or an object "
        "with __arrow_c_stream__ (for an iterator of batches: "
        "pa.RecordBatchReader.from_batches(schema, batches))")


def split_batches(schema: pa.Schema, batches: Iterable[pa.RecordBatch],
                  max_batch_bytes: Optional[int]) -> Iterator[pa.RecordBatch]:
    """Yields ``batches``, each checked against ``schema`` and, when larger than
    ``max_batch_bytes`` (``None``: no limit), sliced into batches that fit (at least one row
    each). Zero-row batches pass through."""
    for index, batch in enumerate(batches):
        if not batch.schema.equals(schema):
            raise ValueError(f"input batch {index} has schema {batch.schema}, not the stream's "
                             f"{schema}: all batches of a call must share one schema")
        size = batch.nbytes
        if max_batch_bytes is None or size <= max_batch_bytes or batch.num_rows <= 1:
            yield batch
            continue
        rows = max(1, batch.num_rows * max_batch_bytes // size)
        for offset in range(0, batch.num_rows, rows):
            yield batch.slice(offset, rows)
