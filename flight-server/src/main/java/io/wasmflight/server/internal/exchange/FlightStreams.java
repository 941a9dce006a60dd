package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.WasmFlightException;
import java.lang.reflect.Field;
import java.util.concurrent.Future;
import org.apache.arrow.flight.FlightStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Arrow Java 19's server-side {@link FlightStream} knows but does not tell, read from its
 * private fields (the one place that does so). If a future Arrow version renames a field this
 * logs once and the check it serves becomes a no-op; the fallbacks are named on each method.
 */
public final class FlightStreams {
  private static final Logger LOG = LoggerFactory.getLogger(FlightStreams.class);
  private static final Field DESCRIPTOR = find("descriptor",
      "exchanges without a descriptor (the stall time limit still ends them)");
  private static final Field FULFILLED_ROOT = find("fulfilledRoot",
      "mid-stream schema changes (the batch-layout check in ExchangeSession remains)");

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
   * True when the stream's schema arrived without a descriptor: {@code getDescriptor()} would
   * block forever. Flight sets the descriptor of a schema message before the root, so a root
   * without a descriptor means there was none.
   */
  public static boolean schemaWithoutDescriptor(FlightStream reader) {
    return reader.hasRoot() && read(DESCRIPTOR, reader) instanceof Future<?> d && !d.isDone();
  }

  /**
   * Throws a bad request when the client sent a second, different schema. Arrow Java 19's
   * {@link FlightStream} keeps returning the first root from {@code getRoot()} but loads later
   * batches into a new, private root, so the server would silently see empty batches; the
   * check compares {@code getRoot()} with that private root.
   */
  static void requireOneSchema(FlightStream reader, long batch) {
    Object current = read(FULFILLED_ROOT, reader);
    if (current != null && current != reader.getRoot()) {
      throw new WasmFlightException.BadRequest("input schema changed at batch " + batch
          + ": a DoExchange session takes one schema; start a new exchange for another");
    }
  }
}
