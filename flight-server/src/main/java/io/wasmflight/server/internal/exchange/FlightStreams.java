package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import java.lang.reflect.Field;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Arrow Java 19's server-side {@link FlightStream} knows but does not tell, read from its
 * private fields (the one place that does so). If a future Arrow version renames a field this logs
 * once and the check it serves becomes a no-op; the fallbacks are named on each method.
 */
public final class FlightStreams {
  private static final Logger LOG = LoggerFactory.getLogger(FlightStreams.class);
  private static final Field DESCRIPTOR =
      find("descriptor", "exchanges without a descriptor (the stall time limit still ends them)");
  private static final Field FULFILLED_ROOT =
      find(
          "fulfilledRoot",
          "mid-stream schema changes (the batch-layout check in ExchangeSession remains)");
  private static final Field COMPLETED =
      find("completed", "input loaded after a cancellation (it would leak)");
  private static final Field DICTIONARIES =
      find("dictionaries", "input dictionaries loaded after a cancellation (they would leak)");
  private static final Field APP_METADATA =
      find("applicationMetadata", "input metadata loaded after a cancellation (it would leak)");

  private FlightStreams() {}

  private static Field find(String name, String what) {
    try {
      Field f = FlightStream.class.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot watch for {} with this Arrow version: {}", what, e.toString());
      return null;
    }
  }

  private static Object read(Field f, FlightStream reader) {
    try {
      return f == null ? null : f.get(reader);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Frees what the session's last {@code next()} loaded into the input after Flight had already
   * closed it. When a client cancels, Arrow Java 19 closes the server's input stream from gRPC's
   * thread, under a lock that {@code next()} does not take: a batch the session thread was loading
   * at that moment lands in the closed root (and its metadata in a closed slot) and is never freed.
   * Call once the session thread is done with the stream and Flight has closed it (after {@code
   * listener.error}); a stream Flight has not closed yet is left alone.
   */
  public static void releaseLateLoads(FlightStream reader) {
    if (!(read(COMPLETED, reader) instanceof CompletableFuture<?> completed)) {
      return;
    }
    synchronized (completed) { // the lock FlightStream.close() takes
      if (!completed.isDone()) {
        return;
      }
      if (read(FULFILLED_ROOT, reader) instanceof VectorSchemaRoot root) {
        root.close();
      }
      if (read(DICTIONARIES, reader) instanceof DictionaryProvider.MapDictionaryProvider d) {
        for (long id : d.getDictionaryIds()) {
          d.lookup(id).getVector().close();
        }
      }
      if (APP_METADATA != null && read(APP_METADATA, reader) instanceof ArrowBuf metadata) {
        try {
          APP_METADATA.set(reader, null);
          metadata.close();
        } catch (IllegalAccessException | RuntimeException e) {
          LOG.debug("cannot free input metadata loaded after a cancellation", e);
        }
      }
    }
  }

  /**
   * True when the stream's schema arrived without a descriptor: {@code getDescriptor()} would block
   * forever. Flight sets the descriptor of a schema message before the root, so a root without a
   * descriptor means there was none.
   */
  public static boolean schemaWithoutDescriptor(FlightStream reader) {
    return reader.hasRoot() && read(DESCRIPTOR, reader) instanceof Future<?> d && !d.isDone();
  }

  /**
   * Throws a bad request when the client sent a second, different schema. Arrow Java 19's {@link
   * FlightStream} keeps returning the first root from {@code getRoot()} but loads later batches
   * into a new, private root, so the server would silently see empty batches; the check compares
   * {@code getRoot()} with that private root.
   */
  static void requireOneSchema(FlightStream reader, long batch) {
    Object current = read(FULFILLED_ROOT, reader);
    if (current != null && current != reader.getRoot()) {
      throw new WasmFlightException.BadRequest(
          "input schema changed at batch "
              + batch
              + ": a DoExchange session takes one schema; start a new exchange for another");
    }
  }
}
