package io.wasmflight.server.internal.wire;

import io.grpc.BinaryLog;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns DoExchange input that Arrow Java cannot read, or would read wrongly, into a clear bad
 * request, before Arrow Java's {@code FlightStream} sees it. Two hooks, installed together by
 * {@code WasmFlightServer}:
 *
 * <ul>
 *   <li>{@link #requestScanner()} wraps Flight's request parser ({@link FlightDataScan}): a
 *       FlightData that would make it throw (gRPC would end the call with {@code UNKNOWN}
 *       "Application error processing RPC") or lose its buffers becomes an empty stand-in message
 *       plus a reason;
 *   <li>this interceptor sees every parsed message in order and checks it against the stream so far
 *       ({@link InputCheck}: headers against bodies and the schema, so Arrow Java never allocates
 *       from a bogus size). A schema Arrow Java cannot deserialize (e.g. decimal32) is refused with
 *       Arrow Java's own reason; a delta dictionary batch (which {@code FlightStream} would load as
 *       a replacement) too; the schema the stream already has, sent again, is dropped (accepted:
 *       Arrow Java would otherwise load the rest into a root the server never reads).
 * </ul>
 *
 * <p>A refused message is freed and the input ends there (half-close; later messages are freed and
 * dropped); the exchange session reports the recorded reason as {@code INVALID_ARGUMENT}. Messages
 * reach the interceptor before the session reads them, so the failure is visible by then. A call
 * whose messages never carry a flight descriptor gets a stand-in one ({@link #NO_DESCRIPTOR}) when
 * its input ends, so the exchange does not wait for it forever.
 */
public final class InputReadGuard implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(InputReadGuard.class);
  private static final String DO_EXCHANGE = FlightServiceGrpc.SERVICE_NAME + "/DoExchange";
  private static final String DO_PUT = FlightServiceGrpc.SERVICE_NAME + "/DoPut";

  /**
   * The path of the stand-in descriptor of a call that sent none (see {@code
   * exchange.ExchangeRequest}).
   */
  static final String NO_DESCRIPTOR = "\u0000wasm-flight: no flight descriptor";

  /** The first input message Arrow Java could not read in this call, if any. */
  static final Context.Key<Failure> FAILURE = Context.key("wasm-flight-input-read-failure");

  /** Set once, by the gRPC thread; read by the exchange's thread. */
  public static final class Failure {
    volatile String message;
    volatile boolean malformed;

    /** The recorded message, or null when every input message was readable. */
    public String message() {
      return message;
    }

    /**
     * True when the input was malformed ("input message N … is malformed"), false when it was
     * well-formed input Arrow Java cannot carry (types.md lists those).
     */
    public boolean malformed() {
      return malformed;
    }
  }

  /** A stand-in the parser returned for a FlightData it refused, and why. */
  private record Refusal(Object message, String reason) {}

  /** Parser and interceptor run on the same thread, one right after the other, per message. */
  private static final ThreadLocal<Refusal> REFUSED = new ThreadLocal<>();

  /** The failure holder of the current call (null outside of a guarded DoExchange). */
  public static Failure current() {
    return FAILURE.get();
  }

  /**
   * The parser hook ({@code NettyServerBuilder.setBinaryLog}): gRPC's binary-log seam is the one
   * place a server can wrap a service's request marshaller without rebuilding the service.
   */
  public static BinaryLog requestScanner() {
    return new ScanningRequests();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!call.getMethodDescriptor().getFullMethodName().equals(DO_EXCHANGE)) {
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
    return new Guard<>(delegate, call, failure);
  }

  /** gRPC calls a listener serially: no synchronization needed. */
  private static final class Guard<Q>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, ?> call;
    private final Failure failure;
    private final InputCheck check = new InputCheck();
    private long index = -1;
    private boolean failed;
    private boolean descriptorSeen;

    Guard(ServerCall.Listener<Q> delegate, ServerCall<Q, ?> call, Failure failure) {
      super(delegate);
      this.call = call;
      this.failure = failure;
    }

    @Override
    public void onMessage(Q message) {
      index++;
      Refusal refusal = REFUSED.get();
      boolean refused = refusal != null && refusal.message() == message;
      if (refused) {
        REFUSED.remove();
      }
      if (failed) {
        // The stream is over for the exchange: later messages are dropped (and freed).
        ArrowMessages.close(message);
        return;
      }
      if (refused) {
        refuse(message, "input message " + index + " is malformed: " + refusal.reason());
        return;
      }
      if (!ArrowMessages.isArrowMessage(message)) {
        forward(message);
        return;
      }
      InputCheck.Verdict verdict;
      try {
        verdict = inspect(message);
      } catch (InputCheck.Refused e) {
        refuse(
            message,
            e.subject == null
                ? e.getMessage()
                : "input message "
                    + index
                    + " ("
                    + e.subject
                    + ") is malformed: "
                    + e.getMessage());
        return;
      } catch (RuntimeException e) {
        LOG.debug("checking an input message failed", e);
        refuse(message, "input message " + index + " cannot be checked: " + e);
        return;
      }
      if (verdict == InputCheck.Verdict.DROP) {
        ArrowMessages.close(message);
        call.request(1); // the message used up one of the reader's requests
        return;
      }
      forward(message);
    }

    private InputCheck.Verdict inspect(Object message) throws InputCheck.Refused {
      MessageMetadataResult header = ArrowMessages.header(message);
      ArrowBuf body = ArrowMessages.body(message);
      return switch (ArrowMessages.type(message)) {
        case "SCHEMA" -> check.schema(header);
        case "RECORD_BATCH" -> check.recordBatch(header, body);
        case "DICTIONARY_BATCH" -> check.dictionaryBatch(header, body);
        default -> InputCheck.Verdict.FORWARD;
      };
    }

    private void forward(Q message) {
      Flight.FlightDescriptor d =
          ArrowMessages.isArrowMessage(message) ? ArrowMessages.descriptor(message) : null;
      try {
        super.onMessage(message);
        descriptorSeen |= d != null;
      } catch (RuntimeException e) {
        LOG.debug("Arrow Java could not read an input message", e);
        // Its own reason (types.md documents these), e.g. a schema it cannot represent. The
        // reader may not have taken the descriptor from a message it failed on.
        end(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), d);
      }
    }

    /** Frees a refused message and ends the input, keeping its descriptor if it had one. */
    private void refuse(Q message, String reason) {
      Flight.FlightDescriptor d =
          ArrowMessages.isArrowMessage(message) ? ArrowMessages.descriptor(message) : null;
      ArrowMessages.close(message);
      end(reason, d);
    }

    private void end(String reason, Flight.FlightDescriptor descriptor) {
      if (failure.message == null) {
        failure.malformed = reason.startsWith("input message ");
        failure.message = reason;
      }
      failed = true;
      // The exchange waits for a descriptor before it reads anything: give it one.
      supplyDescriptor(descriptor);
      // End the input here: a reader waiting for a schema that never came would block.
      super.onHalfClose();
    }

    /** Hands the reader a descriptor-only message when no message has carried one yet. */
    private void supplyDescriptor(Flight.FlightDescriptor descriptor) {
      if (descriptorSeen) {
        return;
      }
      Flight.FlightDescriptor d =
          descriptor != null
              ? descriptor
              : Flight.FlightDescriptor.newBuilder()
                  .setType(Flight.FlightDescriptor.DescriptorType.PATH)
                  .addPath(NO_DESCRIPTOR)
                  .build();
      descriptorSeen = true;
      Q standIn =
          call.getMethodDescriptor()
              .parseRequest(
                  Flight.FlightData.newBuilder()
                      .setFlightDescriptor(d)
                      .build()
                      .toByteString()
                      .newInput());
      try {
        super.onMessage(standIn);
      } catch (RuntimeException e) {
        LOG.debug("the reader refused a descriptor-only message", e);
      }
    }

    @Override
    public void onHalfClose() {
      if (!failed) {
        supplyDescriptor(null);
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!failed) {
        supplyDescriptor(null);
      }
      super.onCancel();
    }
  }

  /** Wraps the request parser of DoExchange and DoPut with {@link FlightDataScan}. */
  private static final class ScanningRequests extends BinaryLog {
    private final ConcurrentHashMap<MethodDescriptor<?, ?>, MethodDescriptor<?, ?>> wrapped =
        new ConcurrentHashMap<>();

    @Override
    @SuppressWarnings("unchecked")
    public <ReqT, RespT> ServerMethodDefinition<?, ?> wrapMethodDefinition(
        ServerMethodDefinition<ReqT, RespT> definition) {
      MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
      String name = method.getFullMethodName();
      if (!name.equals(DO_EXCHANGE) && !name.equals(DO_PUT)) {
        return definition;
      }
      MethodDescriptor<ReqT, RespT> scanned =
          (MethodDescriptor<ReqT, RespT>)
              wrapped.computeIfAbsent(
                  method,
                  m ->
                      method.toBuilder(
                              new Scanning<>(
                                  method.getRequestMarshaller(), name.equals(DO_EXCHANGE)),
                              method.getResponseMarshaller())
                          .build());
      return ServerMethodDefinition.create(scanned, definition.getServerCallHandler());
    }

    @Override
    public Channel wrapChannel(Channel channel) {
      return channel;
    }

    @Override
    public void close() {}
  }

  private static final class Scanning<T> implements MethodDescriptor.Marshaller<T> {
    private final MethodDescriptor.Marshaller<T> parser;
    private final boolean exchange;

    Scanning(MethodDescriptor.Marshaller<T> parser, boolean exchange) {
      this.parser = parser;
      this.exchange = exchange;
    }

    @Override
    public InputStream stream(T value) {
      return parser.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      InputStream in = FlightDataScan.rereadable(stream);
      try {
        FlightDataScan.scan(in);
      } catch (FlightDataScan.Malformed e) {
        return refused(e.getMessage(), e.descriptor);
      }
      try {
        return parser.parse(in);
      } catch (RuntimeException e) {
        LOG.debug("Flight could not parse an input message", e);
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return refused("Arrow Java cannot parse it (" + cause + ")", null);
      }
    }

    /** An empty message (with the descriptor, if readable) standing in for a refused one. */
    private T refused(String reason, Flight.FlightDescriptor descriptor) {
      if (!exchange) {
        // DoPut is refused anyway; nothing was allocated for this message.
        throw new IllegalArgumentException(reason);
      }
      InputStream empty =
          descriptor == null
              ? InputStream.nullInputStream()
              : Flight.FlightData.newBuilder()
                  .setFlightDescriptor(descriptor)
                  .build()
                  .toByteString()
                  .newInput();
      T standIn = parser.parse(empty);
      REFUSED.set(new Refusal(standIn, reason));
      return standIn;
    }
  }

  /**
   * For {@code exchange.ExchangeRequest}: throws when the descriptor is the stand-in of a call that
   * sent none, with the recorded reason (the input was refused before a descriptor came) or that.
   */
  public static void checkNotStandIn(List<String> path) {
    if (path.size() != 1 || !NO_DESCRIPTOR.equals(path.get(0))) {
      return;
    }
    Failure f = current();
    String m = f == null ? null : f.message();
    throw new io.wasmflight.server.WasmFlightException.BadRequest(
        m != null
            ? "Arrow Java cannot read the input stream: " + m
            : "the exchange's input ended before any message carried a flight descriptor (the "
                + "first message of a DoExchange names the function)");
  }
}
