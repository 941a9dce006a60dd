"""An external baseline of the benchmark harness (scripts/bench.sh): a row-wise Python UDF server.

A pyarrow Flight server that evaluates bench_client.py's four map workloads the way Python
remote-UDF servers evaluate scalar UDFs: RisingWave's Python UDF server (arrow-udf-python's
`arrow_udf` / the `risingwave` package) and Databend's (`databend-udf`). For every input batch of
a DoExchange: the argument columns become Python lists (`to_pylist()`), a plain Python function is
called once per row with Python scalars, and the results become the output column
(`pa.array(results, type=...)`); one output batch per input batch, after `writer.begin` with the
result schema. Those servers convert with `[v.as_py() for v in array]` and call the function with
`*[col[i] for col in inputs]` per row; `to_pylist()` and `map(function, *columns)` here are faster
forms of the same per-row evaluation, so if anything this baseline is faster than theirs. A null
argument gives a null result, as the Wasm guests do.

Workloads (descriptor: path [workload], one element), as bench_client.py's `expected()` checks:
  add_one     x: int64 -> x: int64 = x + 1
  upper       s: utf8 -> s: utf8 = str.upper(s) (equal to pyarrow.compute.utf8_upper on the
              benchmark's alphabet)
  line_total  id, price: float64, qty: int64 -> id, total: float64 = price * qty (id is the
              input column passed through: a UDF server returns the computed column, the engine
              keeps the others)
  haversine   lat1, lon1, lat2, lon2 (degrees) -> km: float64, great-circle distance, math.*

Listens on grpc://127.0.0.1:0, prints `rowwise-server port N pid P pyarrow V` (flushed), and
serves until SIGTERM or SIGINT.

Usage: python rowwise_udf_server.py
"""

import math

import pyarrow as pa
import pyarrow.flight as flight

from echo_server import serve

EARTH_RADIUS_KM = 6371.0088
RADIANS = math.pi / 180.0


def add_one(x):
    return None if x is None else x + 1


def upper(s):
    return None if s is None else s.upper()


def line_total(price, qty):
    return None if price is None or qty is None else price * qty


def haversine(lat1, lon1, lat2, lon2):
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    s_lat = math.sin((lat2 - lat1) * RADIANS / 2.0)
    s_lon = math.sin((lon2 - lon1) * RADIANS / 2.0)
    a = s_lat * s_lat + math.cos(lat1 * RADIANS) * math.cos(lat2 * RADIANS) * s_lon * s_lon
    return math.asin(min(math.sqrt(a), 1.0)) * (2 * EARTH_RADIUS_KM)


# workload: (function, its argument columns, input columns passed through, result schema)
UDFS = {
    "add_one": (add_one, ["x"], [], pa.schema([("x", pa.int64())])),
    "upper": (upper, ["s"], [], pa.schema([("s", pa.string())])),
    "line_total": (line_total, ["price", "qty"], ["id"],
                   pa.schema([("id", pa.int64()), ("total", pa.float64())])),
    "haversine": (haversine, ["lat1", "lon1", "lat2", "lon2"], [],
                  pa.schema([("km", pa.float64())])),
}


class RowwiseUdfServer(flight.FlightServerBase):
    def do_exchange(self, context, descriptor, reader, writer):
        path = descriptor.path if descriptor.descriptor_type == flight.DescriptorType.PATH else None
        name = path[0].decode() if path and len(path) == 1 else None
        if name not in UDFS:
            raise ValueError(f"expected the descriptor path [workload] with a workload among "
                             f"{', '.join(UDFS)}; got {descriptor}")
        function, args, kept, schema = UDFS[name]
        result_type = schema.types[-1]
        writer.begin(schema)
        while True:
            try:
                batch = reader.read_chunk().data
            except StopIteration:
                break
            if batch is None:  # metadata only
                continue
            inputs = [batch.column(a).to_pylist() for a in args]
            results = list(map(function, *inputs))
            columns = [batch.column(k) for k in kept] + [pa.array(results, type=result_type)]
            writer.write_batch(pa.record_batch(columns, schema=schema))


if __name__ == "__main__":
    serve(RowwiseUdfServer("grpc://127.0.0.1:0"), "rowwise-server")
