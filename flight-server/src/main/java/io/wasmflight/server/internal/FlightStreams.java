package io.wasmflight.server.internal;

import java.lang.reflect.Field;
import java.util.concurrent.Future;
import org.apache.arrow.flight.FlightStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Arrow Java 19's server-side {@link FlightStream} knows but does not tell: whether the
 * descriptor has arrived. {@code getDescriptor()} blocks until it does, forever when the
 * client's first message carried none. If a future Arrow version renames the field this logs
 * once and answers false (the stall time limit still ends such a session).
 */
final class FlightStreams {
  private static final Logger LOG = LoggerFactory.getLogger(FlightStreams.class);
  private static final Field DESCRIPTOR = find();

  private FlightStreams() {}

  private static Field find() {
    try {
      Field f = FlightStream.class.getDeclaredField("descriptor");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot watch for exchanges without a descriptor with this Arrow version: {}",
          e.toString());
      return null;
    }
  }

  /**
   * True when the stream's schema arrived without a descriptor. Flight sets the descriptor of a
   * schema message before the root, so a root without a descriptor means there was none.
   */
  static boolean schemaWithoutDescriptor(FlightStream reader) {
    if (DESCRIPTOR == null || !reader.hasRoot()) {
      return false;
    }
    try {
      return !((Future<?>) DESCRIPTOR.get(reader)).isDone();
    } catch (IllegalAccessException | RuntimeException e) {
      return false;
    }
  }
}
