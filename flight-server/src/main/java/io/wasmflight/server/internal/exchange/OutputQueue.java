package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.ops.ExchangeStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writing half of an exchange: output batches go to the client as soon as its transport is
 * ready, and are copied into a queue when it is not, so that the session keeps reading input while
 * the client is busy writing it. Only when the queue holds more than the session's output budget
 * does the producing thread wait — and then for at most the stall time (see {@link SessionWatch}).
 * The queue is drained from gRPC's on-ready callback and by the session thread.
 *
 * <p>Every call into the Flight listener happens under this object's lock: the listener is not
 * thread-safe. Queued copies come from the exchange's allocator, so the budget is also counted
 * against the exchange's Arrow memory limit.
 */
final class OutputQueue implements BatchStep.Emitter, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputQueue.class);

  private final ServerStreamListener listener;
  private final BufferAllocator allocator;
  private final long budgetBytes;
  private final SessionWatch watch;
  private final ExchangeStats stats;
  private boolean forwardEmpty;
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private long queuedBytes;
  private VectorSchemaRoot sendRoot;
  private VectorLoader loader;
  private BatchStep step;
  private boolean closed;
  private RuntimeException drainFailure;

  private record Queued(ArrowRecordBatch batch, long bytes) {}

  OutputQueue(
      ServerStreamListener listener,
      BufferAllocator allocator,
      long budgetBytes,
      SessionWatch watch,
      ExchangeStats stats) {
    this.stats = stats;
    this.listener = listener;
    this.allocator = allocator;
    this.budgetBytes = budgetBytes;
    this.watch = watch;
    watch.output(this);
    listener.setOnReadyHandler(this::onReady);
  }

  /**
   * The step whose output dictionaries start the stream, and which says whether zero-row batches
   * are sent (map: one output batch per input batch) or dropped (the other kinds).
   */
  synchronized void step(BatchStep s) {
    this.step = s;
    this.forwardEmpty = s.forwardsEmptyBatches();
  }

  long budgetBytes() {
    return budgetBytes;
  }

  synchronized long bufferedBytes() {
    return queuedBytes;
  }

  synchronized boolean started() {
    return sendRoot != null;
  }

  /** Starts the stream with {@code schema} (the schema message and the dictionaries). */
  synchronized void start(Schema schema, DictionaryProvider dictionaries) {
    if (sendRoot != null) {
      return;
    }
    sendRoot = VectorSchemaRoot.create(schema, allocator);
    loader = new VectorLoader(sendRoot);
    // Not zero-copy: Netty would hold the step's buffers after emit returns (a step may reuse
    // them at once) and past the exchange's allocator close (a leak). The output marshaller
    // (ArrowMessages.fastMarshalling) makes the one copy instead.
    listener.setUseZeroCopy(false);
    listener.start(sendRoot, dictionaries);
  }

  /**
   * Sends {@code root} now if the client is ready and nothing is queued before it, else queues a
   * copy; then waits while the queue is over the budget. The root stays the caller's.
   */
  @Override
  public void emit(VectorSchemaRoot root) {
    synchronized (this) {
      start(root.getSchema(), step.outputDictionaries());
      if (root.getRowCount() == 0 && !forwardEmpty) {
        return;
      }
      drain();
      if (queue.isEmpty() && listener.isReady()) {
        send(new VectorUnloader(root, true, true).getRecordBatch());
        return;
      }
      queue.add(copy(root));
    }
    awaitBelow(budgetBytes);
  }

  /** Waits until every queued batch is sent (end of stream). */
  void awaitDrained() {
    awaitBelow(0);
  }

  /** Wakes a waiting session thread (stop, or the client became ready). */
  synchronized void wake() {
    notifyAll();
  }

  private void awaitBelow(long limit) {
    synchronized (this) {
      drain();
      if (!over(limit)) {
        return;
      }
      watch.phase(SessionWatch.Phase.OUTPUT);
      long start = System.nanoTime();
      try {
        while (over(limit)) {
          watch.checkStopped();
          if (drainFailure != null) {
            throw drainFailure;
          }
          try {
            wait(50);
          } catch (InterruptedException e) {
            watch.checkStopped();
            throw new WasmFlightException.Cancelled("the server is shutting down");
          }
          drain();
        }
      } finally {
        watch.phase(SessionWatch.Phase.WORK);
        watch.waitedForClient(System.nanoTime() - start);
      }
    }
  }

  /** With limit 0: anything queued; else more bytes queued than the limit. */
  private boolean over(long limit) {
    return limit == 0 ? !queue.isEmpty() : queuedBytes > limit;
  }

  private void onReady() {
    synchronized (this) {
      try {
        drain();
      } catch (RuntimeException e) {
        // Never into gRPC's thread: the session thread reports it.
        LOG.debug("sending queued output failed", e);
        drainFailure = e;
      }
      notifyAll();
    }
  }

  /** Sends queued batches while the client is ready. Caller holds the lock. */
  private void drain() {
    while (!closed && !queue.isEmpty() && listener.isReady()) {
      Queued q = queue.poll();
      queuedBytes -= q.bytes();
      send(q.batch());
    }
  }

  /** Loads a batch into the stream's root and sends it; the batch is closed. */
  private void send(ArrowRecordBatch batch) {
    long bytes = 0;
    for (ArrowBuf b : batch.getBuffers()) {
      bytes += b.readableBytes();
    }
    int rows = batch.getLength();
    try (batch) {
      loader.load(batch);
    }
    // Counted before it is handed to gRPC: a client that has read N batches must never scrape
    // a batches_out below N (it may read the batch before putNext returns here).
    stats.output(rows, bytes);
    listener.putNext();
    watch.progress();
  }

  /** A copy of the root's buffers the step cannot overwrite, from the exchange's allocator. */
  private Queued copy(VectorSchemaRoot root) {
    try (ArrowRecordBatch view = new VectorUnloader(root, true, true).getRecordBatch()) {
      List<ArrowBuf> copies = new ArrayList<>(view.getBuffers().size());
      long bytes = 0;
      try {
        for (ArrowBuf b : view.getBuffers()) {
          long n = b.readableBytes();
          ArrowBuf c = allocator.buffer(n);
          c.setBytes(0, b, b.readerIndex(), n);
          c.writerIndex(n);
          copies.add(c);
          bytes += n;
        }
        ArrowRecordBatch batch =
            new ArrowRecordBatch(
                view.getLength(),
                view.getNodes(),
                copies,
                view.getBodyCompression(),
                view.getVariadicBufferCounts(),
                true,
                true);
        queuedBytes += bytes;
        return new Queued(batch, bytes);
      } catch (OutOfMemoryException e) {
        throw new WasmFlightException.LimitExceeded(
            "the exchange's Arrow memory limit was "
                + "reached while buffering output for a client that does not read",
            e);
      } finally {
        copies.forEach(ArrowBuf::close); // the batch holds its own references
      }
    }
  }

  /** Frees whatever was not sent. After this nothing more reaches the listener from here. */
  @Override
  public synchronized void close() {
    closed = true;
    Queued q;
    while ((q = queue.poll()) != null) {
      q.batch().close();
    }
    queuedBytes = 0;
    if (sendRoot != null) {
      sendRoot.close();
    }
  }
}
