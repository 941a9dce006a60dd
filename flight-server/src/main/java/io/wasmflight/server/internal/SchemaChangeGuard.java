package io.wasmflight.server.internal;

import io.wasmflight.server.WasmFlightException;
import java.lang.reflect.Field;
import org.apache.arrow.flight.FlightStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects a client that sends a second schema message mid-stream. Arrow Java 19's
 * {@link FlightStream} keeps returning the first root from {@code getRoot()} but loads later
 * batches into a new, private root built from the new schema, so the server would silently see
 * empty batches. There is no public API to observe this; the guard compares {@code getRoot()}
 * with the stream's private {@code fulfilledRoot}. If a future Arrow version renames the field
 * the guard logs once and becomes a no-op (the batch-layout check in ExchangeSession remains).
 */
final class SchemaChangeGuard {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaChangeGuard.class);
  private static final Field FULFILLED_ROOT = find();

  private SchemaChangeGuard() {}

  private static Field find() {
    try {
      Field f = FlightStream.class.getDeclaredField("fulfilledRoot");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot watch for mid-stream schema changes with this Arrow version: {}",
          e.toString());
      return null;
    }
  }

  /** Throws a bad request when the stream's current root is not the one the server reads. */
  static void check(FlightStream reader, long batch) {
    if (FULFILLED_ROOT == null) {
      return;
    }
    Object current;
    try {
      current = FULFILLED_ROOT.get(reader);
    } catch (IllegalAccessException e) {
      return;
    }
    if (current != null && current != reader.getRoot()) {
      throw new WasmFlightException.BadRequest("input schema changed at batch " + batch
          + ": a DoExchange session takes one schema; start a new exchange for another");
    }
  }
}
