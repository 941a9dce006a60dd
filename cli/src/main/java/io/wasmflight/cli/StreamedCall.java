package io.wasmflight.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One exchange, reading while writing (flight-protocol.md "Client patterns"): this thread sends the
 * input batches, waiting while gRPC's send buffer is full; a second thread reads the output and
 * writes it to the output file as it arrives. A failure on either side ends both; the server's
 * status (seen by the reader) is preferred over the writer's view of it.
 */
@SuppressWarnings("try") // FlightClient.close() may be interrupted: the command then fails
final class StreamedCall {
  private final FlightClient client;
  private final FlightDescriptor descriptor;
  private final BatchSource source;
  private final Path out;
  private final FileFormat outFormat;
  private final Progress progress;
  private final AtomicReference<Throwable> readFailure = new AtomicReference<>();
  private volatile boolean readDone;

  StreamedCall(
      FlightClient client,
      FlightDescriptor descriptor,
      BatchSource source,
      Path out,
      FileFormat outFormat,
      Progress progress) {
    this.client = client;
    this.descriptor = descriptor;
    this.source = source;
    this.out = out;
    this.outFormat = outFormat;
    this.progress = progress;
  }

  void run() throws Exception {
    try (FlightClient.ExchangeReaderWriter exchange = client.doExchange(descriptor)) {
      Thread reader =
          Thread.ofPlatform().name("call-output").start(() -> readAll(exchange.getReader()));
      RuntimeException writeFailure = null;
      try {
        writeAll(exchange);
      } catch (FlightRuntimeException | CliException e) {
        writeFailure = e;
        if (e instanceof CliException) {
          exchange.getWriter().error(e);
        }
      } catch (IOException | UncheckedIOException | IllegalStateException e) {
        writeFailure = new CliException(ExitCode.BAD_INPUT, "cannot read the input: " + e, e);
        exchange.getWriter().error(e);
      }
      reader.join();
      Throwable r = readFailure.get();
      if (writeFailure instanceof CliException c) {
        throw c; // the input was at fault; the reader only saw the cancellation
      }
      if (r != null) {
        throw r instanceof Exception e ? e : new RuntimeException(r);
      }
      if (writeFailure != null) {
        throw writeFailure;
      }
      exchange.getResult();
    }
  }

  private void writeAll(FlightClient.ExchangeReaderWriter exchange) throws IOException {
    VectorSchemaRoot root = source.root();
    boolean more = source.next(); // IPC dictionaries are known once the first batch is read
    exchange.getWriter().start(root, source.dictionaries());
    while (more && readFailure.get() == null) {
      while (!exchange.getWriter().isReady() && !readDone) {
        LockSupport.parkNanos(200_000);
      }
      long bytes = 0;
      for (FieldVector v : root.getFieldVectors()) {
        bytes += v.getBufferSize();
      }
      exchange.getWriter().putNext();
      progress.input(root.getRowCount(), bytes);
      more = source.next();
    }
    exchange.getWriter().completed();
  }

  private void readAll(FlightStream stream) {
    BatchSink sink = null;
    try {
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        if (sink == null) {
          sink = outFormat.create(out, root, stream.getDictionaryProvider());
        }
        sink.write();
        progress.output(root.getRowCount());
      }
      if (sink == null) {
        sink = outFormat.create(out, stream.getRoot(), stream.getDictionaryProvider());
      }
    } catch (IOException e) {
      readFailure.compareAndSet(
          null, new CliException(ExitCode.OTHER, "cannot write " + out + ": " + e, e));
    } catch (Throwable t) {
      readFailure.compareAndSet(null, t);
    } finally {
      readDone = true;
      if (sink != null) {
        try {
          sink.close();
        } catch (IOException | RuntimeException e) {
          readFailure.compareAndSet(
              null, new CliException(ExitCode.OTHER, "cannot write " + out + ": " + e, e));
        }
      }
    }
  }
}
