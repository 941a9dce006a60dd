"""An external baseline of the benchmark harness (scripts/bench.sh): pyarrow's C++ Flight server.

A pyarrow.flight.FlightServerBase whose DoExchange sends every batch back as it arrives, the
behaviour of our Java server's `bench/echo` descriptor, so that bench_client.py's `cpp_echo`
configuration measures the transport ceiling of Arrow C++ Flight (gRPC + the C++ IPC reader and
writer; the Python handler only passes batch handles) next to the Java server's `echo`. Any
descriptor is accepted.

Listens on grpc://127.0.0.1:0, prints `echo-server port N pid P pyarrow V` (flushed), and serves
until SIGTERM or SIGINT.

Usage: python echo_server.py
"""

import os
import signal
import threading

import pyarrow as pa
import pyarrow.flight as flight


class EchoServer(flight.FlightServerBase):
    def do_exchange(self, context, descriptor, reader, writer):
        started = False
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            if chunk.data is None:  # metadata only
                continue
            if not started:
                writer.begin(reader.schema)
                started = True
            writer.write_batch(chunk.data)
        if not started:  # no batch: the output is the input's schema alone
            writer.begin(reader.schema)


def serve(server, name):
    """Prints the port line and serves until SIGTERM or SIGINT (shutdown from another thread:
    it waits for serve() to return)."""
    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{name} port {server.port} pid {os.getpid()} pyarrow {pa.__version__}", flush=True)
    server.serve()


if __name__ == "__main__":
    serve(EchoServer("grpc://127.0.0.1:0"), "echo-server")
