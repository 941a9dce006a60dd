package io.wasmflight.server.internal;

import io.grpc.Context;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.lang.reflect.Method;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns input that Arrow Java cannot read faithfully into a clear bad request.
 *
 * <ul>
 *   <li>Arrow Java 19's {@code FlightStream} parses a schema message on the gRPC thread; a schema
 *       it cannot represent (e.g. decimal32) throws there, and gRPC would end the call with
 *       {@code UNKNOWN} "Application error processing RPC" before the exchange sees anything.
 *       This interceptor keeps the exception off gRPC's thread and records its message.
 *   <li>{@code FlightStream} loads a delta dictionary batch as if it replaced the dictionary (it
 *       never looks at the delta flag): the interceptor records that too, so the session refuses
 *       the stream instead of computing on a truncated dictionary.
 * </ul>
 *
 * <p>The exchange session reports a recorded failure as {@code INVALID_ARGUMENT}. Messages reach
 * the interceptor before the session reads them, so the failure is visible by then. After a
 * message that could not be read, the input ends there (half-close) and later messages are
 * dropped, so the session never waits for a schema that will not come.
 */
public final class InputReadGuard implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(InputReadGuard.class);

  /** The first input message Arrow Java could not read in this call, if any. */
  static final Context.Key<Failure> FAILURE = Context.key("wasm-flight-input-read-failure");

  /** Set once, by the gRPC thread; read by the exchange's thread. */
  static final class Failure {
    volatile String message;

    /** The recorded message, or null when every input message was readable. */
    String message() {
      return message;
    }
  }

  private static final Method MESSAGE_TYPE;
  private static final Method METADATA;

  static {
    Method type = null;
    Method metadata = null;
    try {
      Class<?> c = Class.forName("org.apache.arrow.flight.ArrowMessage");
      type = c.getMethod("getMessageType");
      metadata = c.getMethod("asSchemaMessage");
      type.setAccessible(true);
      metadata.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot watch for delta dictionaries with this Arrow version: {}", e.toString());
      type = null;
      metadata = null;
    }
    MESSAGE_TYPE = type;
    METADATA = metadata;
  }

  /** True for a dictionary batch message whose isDelta flag is set. */
  static boolean isDeltaDictionary(Object message) {
    if (MESSAGE_TYPE == null || message == null
        || !message.getClass().getName().equals("org.apache.arrow.flight.ArrowMessage")) {
      return false;
    }
    try {
      if (!"DICTIONARY_BATCH".equals(String.valueOf(MESSAGE_TYPE.invoke(message)))) {
        return false;
      }
      MessageMetadataResult result = (MessageMetadataResult) METADATA.invoke(message);
      DictionaryBatch batch = (DictionaryBatch) result.getMessage().header(new DictionaryBatch());
      return batch != null && batch.isDelta();
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /** The failure holder of the current call (null outside of a guarded DoExchange). */
  static Failure current() {
    return FAILURE.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!call.getMethodDescriptor().getFullMethodName().endsWith("/DoExchange")) {
      return next.startCall(call, headers);
    }
    Failure failure = new Failure();
    // Only the start of the call runs in this context: Flight submits the exchange to its
    // executor from there (propagating the context); gRPC's callbacks keep their own.
    Context context = Context.current().withValue(FAILURE, failure);
    ServerCall.Listener<Q> delegate;
    Context previous = context.attach();
    try {
      delegate = next.startCall(call, headers);
    } finally {
      context.detach(previous);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      // gRPC calls a listener serially: no synchronization needed.
      private boolean failed;

      @Override
      public void onMessage(Q message) {
        if (failed) {
          // The stream is over for the exchange: later messages are dropped (and freed).
          if (message instanceof AutoCloseable c) {
            try {
              c.close();
            } catch (Exception e) {
              LOG.debug("closing a dropped message failed", e);
            }
          }
          return;
        }
        if (failure.message == null && isDeltaDictionary(message)) {
          failure.message = "the stream sends a delta dictionary batch, which Arrow Java's "
              + "Flight reader would load as a replacement; send whole dictionaries "
              + "(pyarrow: emit_dictionary_deltas=False, the default)";
        }
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          if (failure.message == null) {
            failure.message = e.getMessage() == null ? e.getClass().getSimpleName()
                : e.getMessage();
          }
          LOG.debug("Arrow Java could not read an input message", e);
          // End the input here: a reader waiting for a schema that never came would block.
          failed = true;
          super.onHalfClose();
        }
      }

      @Override
      public void onHalfClose() {
        if (!failed) {
          super.onHalfClose();
        }
      }
    };
  }
}
