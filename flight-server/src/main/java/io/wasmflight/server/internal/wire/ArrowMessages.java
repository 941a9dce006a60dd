package io.wasmflight.server.internal.wire;

import com.google.protobuf.CodedInputStream;
import io.grpc.BinaryLog;
import io.grpc.Channel;
import io.grpc.Drainable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flight.grpc.AddWritableBuffer;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;

/**
 * Reads Flight's package-private {@code ArrowMessage} (one parsed FlightData) through its public
 * methods. {@link #AVAILABLE} is false when this Arrow version does not have them; the input guard
 * then checks nothing and Flight behaves as it would without it.
 */
public final class ArrowMessages {
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

  // ---- Faster marshalling of Flight's data messages (see fastMarshalling) ----

  private static final Constructor<?> PARSED = declaredConstructor();
  private static final Field MARSHALLER_ALLOCATOR =
      declaredField(
          "org.apache.arrow.flight.ArrowMessage$ArrowMessageHolderMarshaller", "allocator");
  private static final Field DRAINABLE_BUF =
      declaredField("org.apache.arrow.flight.ArrowMessage$DrainableByteBufInputStream", "buf");
  private static final String HOLDER_MARSHALLER =
      "org.apache.arrow.flight.ArrowMessage$ArrowMessageHolderMarshaller";
  private static final int DESCRIPTOR_TAG = (1 << 3) | 2;
  private static final int HEADER_TAG = (2 << 3) | 2;
  private static final int APP_METADATA_TAG = (3 << 3) | 2;
  private static final int BODY_TAG = (1000 << 3) | 2;

  private static Constructor<?> declaredConstructor() {
    try {
      Constructor<?> c =
          Class.forName("org.apache.arrow.flight.ArrowMessage")
              .getDeclaredConstructor(
                  Flight.FlightDescriptor.class,
                  MessageMetadataResult.class,
                  ArrowBuf.class,
                  ArrowBuf.class);
      c.setAccessible(true);
      return c;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private static Field declaredField(String type, String name) {
    try {
      Field f = Class.forName(type).getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Wraps {@code inner}'s method definitions so that Flight's data messages (DoGet, DoPut,
   * DoExchange) are read and written with one memory copy each instead of two (see {@link
   * FastMarshaller}); {@code inner} then wraps the result.
   */
  public static BinaryLog fastMarshalling(BinaryLog inner) {
    ConcurrentHashMap<MethodDescriptor<?, ?>, MethodDescriptor<?, ?>> wrapped =
        new ConcurrentHashMap<>();
    return new BinaryLog() {
      @Override
      @SuppressWarnings({"unchecked", "rawtypes"})
      public <ReqT, RespT> ServerMethodDefinition<?, ?> wrapMethodDefinition(
          ServerMethodDefinition<ReqT, RespT> definition) {
        MethodDescriptor<ReqT, RespT> m = definition.getMethodDescriptor();
        // gRPC wraps a method per call: one fast descriptor per method, so that the inner
        // wrapper (which keeps one per descriptor it sees) sees the same one every time.
        MethodDescriptor<ReqT, RespT> fast =
            (MethodDescriptor<ReqT, RespT>)
                wrapped.computeIfAbsent(
                    m,
                    x -> {
                      MethodDescriptor.Marshaller<ReqT> req = m.getRequestMarshaller();
                      MethodDescriptor.Marshaller<RespT> resp = m.getResponseMarshaller();
                      boolean r = fastable(req);
                      boolean w = fastable(resp);
                      if (!r && !w) {
                        return m;
                      }
                      return m.toBuilder(
                              r ? (MethodDescriptor.Marshaller) new FastMarshaller(req) : req,
                              w ? (MethodDescriptor.Marshaller) new FastMarshaller(resp) : resp)
                          .build();
                    });
        ServerMethodDefinition<ReqT, RespT> d =
            fast == m
                ? definition
                : ServerMethodDefinition.create(fast, definition.getServerCallHandler());
        return inner == null ? d : inner.wrapMethodDefinition(d);
      }

      @Override
      public Channel wrapChannel(Channel channel) {
        return inner == null ? channel : inner.wrapChannel(channel);
      }

      @Override
      public void close() throws IOException {
        if (inner != null) {
          inner.close();
        }
      }
    };
  }

  private static boolean fastable(MethodDescriptor.Marshaller<?> m) {
    return PARSED != null
        && MARSHALLER_ALLOCATOR != null
        && DRAINABLE_BUF != null
        && m.getClass().getName().equals(HOLDER_MARSHALLER);
  }

  /**
   * Flight's {@code ArrowMessage} marshaller with one copy less each way. Reading: Arrow Java 19
   * copies a message body from gRPC's buffers into a new heap array and from there into the Arrow
   * buffer; this copies straight from gRPC's (direct) buffers into the Arrow buffer. Writing: with
   * zero-copy write off, Arrow Java 19 copies the body from the Arrow buffers through a small heap
   * array into gRPC's buffers; this copies it once into one direct Netty buffer that is handed to
   * gRPC whole (which owns it from then: no Arrow buffer outlives the call, and the step may reuse
   * its buffers at once). Otherwise the messages are Flight's own.
   */
  static final class FastMarshaller implements MethodDescriptor.Marshaller<Object> {
    private static final int FOREIGN_MIN_BYTES = 64 << 10;
    private final MethodDescriptor.Marshaller<Object> flight;
    private final BufferAllocator allocator;

    @SuppressWarnings("unchecked")
    FastMarshaller(MethodDescriptor.Marshaller<?> flight) {
      this.flight = (MethodDescriptor.Marshaller<Object>) flight;
      try {
        this.allocator = (BufferAllocator) MARSHALLER_ALLOCATOR.get(flight);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public InputStream stream(Object value) {
      InputStream s = flight.stream(value);
      Object buf;
      try {
        buf = DRAINABLE_BUF.getDeclaringClass().isInstance(s) ? DRAINABLE_BUF.get(s) : null;
      } catch (IllegalAccessException e) {
        buf = null;
      }
      return buf instanceof ByteBuf b ? new OneCopy(s, b) : s;
    }

    @Override
    public Object parse(InputStream stream) {
      if (!(stream instanceof HasByteBuffer h) || !h.byteBufferSupported()) {
        return flight.parse(stream);
      }
      try {
        return frame(stream);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    }

    /** Arrow Java 19's {@code ArrowMessage.frame}, with the body read by {@link #readInto}. */
    private Object frame(InputStream stream) throws IOException {
      Flight.FlightDescriptor descriptor = null;
      MessageMetadataResult header = null;
      ArrowBuf body = null;
      ArrowBuf appMetadata = null;
      try {
        while (stream.available() > 0) {
          int first = stream.read();
          if (first == -1) {
            break;
          }
          int tag = CodedInputStream.readRawVarint32(first, stream);
          switch (tag) {
            case DESCRIPTOR_TAG -> {
              int size = CodedInputStream.readRawVarint32(stream.read(), stream);
              descriptor = Flight.FlightDescriptor.parseFrom(stream.readNBytes(size));
            }
            case HEADER_TAG -> {
              int size = CodedInputStream.readRawVarint32(stream.read(), stream);
              byte[] bytes = stream.readNBytes(size);
              header = MessageMetadataResult.create(ByteBuffer.wrap(bytes), size);
            }
            case APP_METADATA_TAG -> {
              int size = CodedInputStream.readRawVarint32(stream.read(), stream);
              if (appMetadata != null) {
                appMetadata.close();
              }
              appMetadata = allocator.buffer(size);
              readInto(stream, appMetadata, size);
            }
            case BODY_TAG -> {
              if (body != null) {
                body.close(); // only the last body is read
                body = null;
              }
              int size = CodedInputStream.readRawVarint32(stream.read(), stream);
              body = newBody(size);
              readInto(stream, body, size);
            }
            default -> {} // Flight ignores unknown fields (FlightDataScan refuses them first)
          }
        }
        if (header != null) {
          byte type = header.headerType();
          if (type == MessageHeader.Schema && body != null && body.capacity() == 0) {
            body.close();
            body = null;
          } else if ((type == MessageHeader.DictionaryBatch || type == MessageHeader.RecordBatch)
              && body == null) {
            body = allocator.getEmpty();
          }
        }
        return PARSED.newInstance(descriptor, header, appMetadata, body);
      } catch (IOException | RuntimeException | ReflectiveOperationException e) {
        if (body != null) {
          body.close();
        }
        if (appMetadata != null) {
          appMetadata.close();
        }
        if (e instanceof IOException io) {
          throw io;
        }
        throw new RuntimeException(e);
      }
    }

    /**
     * A buffer for a message body, from the server's allocator (and counted there). A large one is
     * malloc'ed memory wrapped as a foreign allocation: Arrow Java's Netty allocation manager does
     * not pool buffers over its chunk size and gets them from {@code ByteBuffer.allocateDirect},
     * which zeroes them first; with the body written over right away, that zeroing took as long as
     * the rest of the read (40% of the server's CPU time in an echo of 1M-row batches).
     */
    private ArrowBuf newBody(int size) {
      if (size < FOREIGN_MIN_BYTES) {
        return allocator.buffer(size);
      }
      long address = MemoryUtil.allocateMemory(size);
      try {
        return allocator.wrapForeignAllocation(
            new ForeignAllocation(size, address) {
              @Override
              protected void release0() {
                MemoryUtil.freeMemory(memoryAddress());
              }
            });
      } catch (OutOfMemoryException e) {
        MemoryUtil.freeMemory(address); // refused before it was wrapped
        throw e;
      }
    }

    /** Copies {@code size} bytes from gRPC's buffers straight into {@code buf}. */
    private static void readInto(InputStream stream, ArrowBuf buf, int size) throws IOException {
      HasByteBuffer h = (HasByteBuffer) stream;
      long at = 0;
      while (at < size) {
        ByteBuffer bb = h.getByteBuffer();
        if (bb == null || !bb.hasRemaining()) {
          break;
        }
        int n = (int) Math.min(bb.remaining(), size - at);
        bb.limit(bb.position() + n);
        buf.setBytes(at, bb);
        at += n;
        long left = n;
        while (left > 0) {
          long skipped = stream.skip(left);
          if (skipped <= 0) {
            throw new EOFException("the message ends inside a buffer");
          }
          left -= skipped;
        }
      }
      if (at < size) {
        byte[] chunk = new byte[(int) Math.min(1 << 16, size - at)];
        while (at < size) {
          int n = stream.read(chunk, 0, (int) Math.min(chunk.length, size - at));
          if (n < 0) {
            throw new EOFException("the message ends inside a buffer");
          }
          buf.setBytes(at, chunk, 0, n);
          at += n;
        }
      }
      buf.writerIndex(size);
    }
  }

  /**
   * A serialized message that gRPC drains as one direct Netty buffer (a single copy of Flight's
   * composite of header and Arrow buffers), added to gRPC's output without a further copy.
   */
  private static final class OneCopy extends InputStream implements Drainable {
    private static final int PIECE = 1 << 20; // pooled pieces; one huge buffer would not be
    private final InputStream flight;
    private final ByteBuf composite;

    OneCopy(InputStream flight, ByteBuf composite) {
      this.flight = flight;
      this.composite = composite;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = composite.readableBytes();
      ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
      CompositeByteBuf copy = alloc.compositeDirectBuffer(Integer.MAX_VALUE);
      try {
        int at = composite.readerIndex();
        for (int left = n; left > 0; ) {
          int k = Math.min(left, PIECE);
          ByteBuf piece = alloc.directBuffer(k, k);
          try {
            // From the composite's side: it copies component by component. piece.writeBytes(
            // composite, ...) had Netty's pooled buffer ask the composite for one NIO buffer, which
            // a composite of several components builds as a new heap ByteBuffer of the whole span
            // and copies into first: a second copy and a piece-sized garbage array per piece.
            composite.getBytes(at, piece, k);
          } catch (RuntimeException e) {
            piece.release();
            throw e;
          }
          copy.addComponent(true, piece); // the composite owns it from here
          at += k;
          left -= k;
        }
        composite.skipBytes(n);
        AddWritableBuffer.add(copy, target, true); // retains it when added, else copies it
      } finally {
        copy.release();
      }
      return n;
    }

    @Override
    public int read() throws IOException {
      return flight.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return flight.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return flight.available();
    }

    @Override
    public void close() throws IOException {
      flight.close();
    }
  }

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
