package io.wasmflight.server.internal.wire;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;

/**
 * Reads Flight's package-private {@code ArrowMessage} (one parsed FlightData) through its public
 * methods. {@link #AVAILABLE} is false when this Arrow version does not have them; the input guard
 * then checks nothing and Flight behaves as it would without it.
 */
final class ArrowMessages {
  private static final Class<?> TYPE;
  private static final Method MESSAGE_TYPE;
  private static final Method METADATA;
  private static final Method BUFS;
  private static final Method DESCRIPTOR;
  static final boolean AVAILABLE;

  static {
    Class<?> type = null;
    Method[] m = new Method[4];
    try {
      type = Class.forName("org.apache.arrow.flight.ArrowMessage");
      m[0] = type.getMethod("getMessageType");
      m[1] = type.getMethod("asSchemaMessage");
      m[2] = type.getMethod("getBufs");
      m[3] = type.getMethod("getDescriptor");
      for (Method x : m) {
        x.setAccessible(true);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(ArrowMessages.class)
          .warn("cannot check Flight input messages with this Arrow version: {}", e.toString());
      type = null;
    }
    TYPE = type;
    MESSAGE_TYPE = m[0];
    METADATA = m[1];
    BUFS = m[2];
    DESCRIPTOR = m[3];
    AVAILABLE = type != null;
  }

  private ArrowMessages() {}

  static boolean isArrowMessage(Object o) {
    return AVAILABLE && TYPE.isInstance(o);
  }

  /** NONE, SCHEMA, DICTIONARY_BATCH, RECORD_BATCH or TENSOR. */
  static String type(Object message) {
    return String.valueOf(call(MESSAGE_TYPE, message));
  }

  /** The IPC header, or null for a message without one. */
  static MessageMetadataResult header(Object message) {
    return (MessageMetadataResult) call(METADATA, message);
  }

  /** The body (a message has at most one), or null. */
  static ArrowBuf body(Object message) {
    for (Object b : (Iterable<?>) call(BUFS, message)) {
      return (ArrowBuf) b;
    }
    return null;
  }

  /** The flight descriptor the message carries, or null. */
  static Flight.FlightDescriptor descriptor(Object message) {
    return (Flight.FlightDescriptor) call(DESCRIPTOR, message);
  }

  /** Frees what the message holds. */
  static void close(Object message) {
    if (message instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(ArrowMessages.class)
            .debug("closing a refused message failed", e);
      }
    }
  }

  private static Object call(Method m, Object target) {
    try {
      return m.invoke(target);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
