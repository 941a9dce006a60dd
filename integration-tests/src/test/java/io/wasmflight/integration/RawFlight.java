package io.wasmflight.integration;

import com.google.flatbuffers.FlatBufferBuilder;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A raw gRPC client of the Flight service, for the messages no Arrow client would send: every
 * {@code FlightData} field (descriptor, IPC header flatbuffer, body) is chosen by the test, and
 * headers can be built field by field with {@link #batchHeader}.
 */
final class RawFlight implements AutoCloseable {
  private final ManagedChannel channel;

  RawFlight(int port) {
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .maxInboundMessageSize(64 << 20)
            .build();
  }

  /** How a call ended: its status and the data messages the server sent before that. */
  record Outcome(Status status, List<Flight.FlightData> received) {
    Status.Code code() {
      return status.getCode();
    }

    String description() {
      return String.valueOf(status.getDescription());
    }

    @Override
    public String toString() {
      return status.getCode() + " " + status.getDescription();
    }
  }

  /** Sends the messages of one DoExchange, half-closes and waits for the end of the call. */
  Outcome exchange(List<Flight.FlightData> messages) throws Exception {
    List<Flight.FlightData> received = new ArrayList<>();
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<Flight.FlightData> requests =
        FlightServiceGrpc.newStub(channel)
            .doExchange(
                new StreamObserver<>() {
                  @Override
                  public void onNext(Flight.FlightData value) {
                    synchronized (received) {
                      received.add(value);
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.complete(
                        t instanceof StatusRuntimeException s
                            ? s.getStatus()
                            : Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(Status.OK);
                  }
                });
    try {
      for (Flight.FlightData m : messages) {
        requests.onNext(m);
      }
      requests.onCompleted();
    } catch (RuntimeException e) {
      // The server may end the call while we are still sending: its status is what counts.
    }
    Status status = done.get(60, TimeUnit.SECONDS);
    synchronized (received) {
      return new Outcome(status, List.copyOf(received));
    }
  }

  /**
   * Sends raw protobuf bytes as the messages of one DoExchange (for FlightData that protobuf itself
   * would not produce: truncated fields, repeated fields, unknown fields).
   */
  Outcome exchangeRaw(List<byte[]> messages) throws Exception {
    io.grpc.MethodDescriptor.Marshaller<byte[]> raw =
        new io.grpc.MethodDescriptor.Marshaller<>() {
          @Override
          public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(java.io.InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
    io.grpc.MethodDescriptor<byte[], byte[]> method =
        io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(FlightServiceGrpc.getDoExchangeMethod().getFullMethodName())
            .setRequestMarshaller(raw)
            .setResponseMarshaller(raw)
            .build();
    CompletableFuture<Status> done = new CompletableFuture<>();
    List<Flight.FlightData> received = new ArrayList<>();
    StreamObserver<byte[]> requests =
        io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
            channel.newCall(method, io.grpc.CallOptions.DEFAULT),
            new StreamObserver<byte[]>() {
              @Override
              public void onNext(byte[] value) {
                synchronized (received) {
                  try {
                    received.add(Flight.FlightData.parseFrom(value));
                  } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                  }
                }
              }

              @Override
              public void onError(Throwable t) {
                done.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                done.complete(Status.OK);
              }
            });
    try {
      for (byte[] m : messages) {
        requests.onNext(m);
      }
      requests.onCompleted();
    } catch (RuntimeException e) {
      // The server may end the call while we are still sending.
    }
    Status status = done.get(60, TimeUnit.SECONDS);
    synchronized (received) {
      return new Outcome(status, List.copyOf(received));
    }
  }

  static Flight.FlightDescriptor path(String... path) {
    return Flight.FlightDescriptor.newBuilder()
        .setType(Flight.FlightDescriptor.DescriptorType.PATH)
        .addAllPath(List.of(path))
        .build();
  }

  /** The first message: descriptor and schema. */
  static Flight.FlightData schema(Flight.FlightDescriptor descriptor, Schema schema) {
    return Flight.FlightData.newBuilder()
        .setFlightDescriptor(descriptor)
        .setDataHeader(ByteString.copyFrom(schemaHeader(schema)))
        .build();
  }

  static byte[] schemaHeader(Schema schema) {
    return bytes(MessageSerializer.serializeMetadata(schema, IpcOption.DEFAULT));
  }

  /** A data message with the given header flatbuffer and body. */
  static Flight.FlightData data(byte[] header, byte[] body) {
    Flight.FlightData.Builder b =
        Flight.FlightData.newBuilder().setDataHeader(ByteString.copyFrom(header));
    if (body != null) {
      b.setDataBody(ByteString.copyFrom(body));
    }
    return b.build();
  }

  /** The record batch in a root, as Arrow Java's Flight writer would send it. */
  static Flight.FlightData batch(VectorSchemaRoot root) {
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      byte[] header = bytes(MessageSerializer.serializeMetadata(batch, IpcOption.DEFAULT));
      return data(header, body(batch));
    }
  }

  /** A record batch as header and body bytes, with where each buffer sits in the body. */
  record Parts(byte[] header, byte[] body, long[] bufferOffsets) {
    Flight.FlightData message() {
      return data(header, body);
    }
  }

  /** The current contents of a root as a record batch (Arrow Java's layout). */
  static Parts parts(VectorSchemaRoot root) {
    try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
      return parts(MessageSerializer.serializeMetadata(batch, IpcOption.DEFAULT), batch);
    }
  }

  /** A dictionary's values as a dictionary batch. */
  static Parts dictionary(long id, VectorSchemaRoot values) {
    try (ArrowRecordBatch batch = new VectorUnloader(values).getRecordBatch()) {
      var dict = new org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch(id, batch, false);
      return parts(MessageSerializer.serializeMetadata(dict, IpcOption.DEFAULT), batch);
    }
  }

  private static Parts parts(ByteBuffer header, ArrowRecordBatch batch) {
    long[] offsets = new long[batch.getBuffers().size()];
    long at = 0;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = at;
      long n = batch.getBuffers().get(i).readableBytes();
      at += (n + 7) & ~7L;
    }
    return new Parts(bytes(header), body(batch), offsets);
  }

  /** The body of a batch: each buffer padded to 8 bytes, in order (as Arrow Java sends it). */
  static byte[] body(ArrowRecordBatch batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ArrowBuf b : batch.getBuffers()) {
      byte[] bytes = new byte[(int) b.readableBytes()];
      b.getBytes(b.readerIndex(), bytes);
      out.writeBytes(bytes);
      out.writeBytes(new byte[(8 - bytes.length % 8) % 8]);
    }
    return out.toByteArray();
  }

  /**
   * A RecordBatch message header built field by field.
   *
   * @param nodes {length, null_count} per field node
   * @param buffers {offset, length} per buffer
   */
  static byte[] batchHeader(long length, long[][] nodes, long[][] buffers, long bodyLength) {
    FlatBufferBuilder fb = new FlatBufferBuilder();
    int batch = recordBatch(fb, length, nodes, buffers);
    return message(fb, MessageHeader.RecordBatch, batch, bodyLength);
  }

  /** A DictionaryBatch message header built field by field. */
  static byte[] dictionaryHeader(
      long id, long length, long[][] nodes, long[][] buffers, long bodyLength) {
    FlatBufferBuilder fb = new FlatBufferBuilder();
    int batch = recordBatch(fb, length, nodes, buffers);
    int dict = org.apache.arrow.flatbuf.DictionaryBatch.createDictionaryBatch(fb, id, batch, false);
    return message(fb, MessageHeader.DictionaryBatch, dict, bodyLength);
  }

  /** A Message of any header type (its header table is an empty RecordBatch). */
  static byte[] headerOfType(byte type) {
    FlatBufferBuilder fb = new FlatBufferBuilder();
    int batch = recordBatch(fb, 0, new long[0][], new long[0][]);
    return message(fb, type, batch, 0);
  }

  /** Protobuf wire format, for {@link #exchangeRaw}: a length-delimited field. */
  static byte[] field(int number, byte[] contents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(varint((number << 3) | 2));
    out.writeBytes(varint(contents.length));
    out.writeBytes(contents);
    return out.toByteArray();
  }

  static byte[] varint(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static int recordBatch(
      FlatBufferBuilder fb, long length, long[][] nodes, long[][] buffers) {
    org.apache.arrow.flatbuf.RecordBatch.startNodesVector(fb, nodes.length);
    for (int i = nodes.length - 1; i >= 0; i--) {
      org.apache.arrow.flatbuf.FieldNode.createFieldNode(fb, nodes[i][0], nodes[i][1]);
    }
    int nodesAt = fb.endVector();
    org.apache.arrow.flatbuf.RecordBatch.startBuffersVector(fb, buffers.length);
    for (int i = buffers.length - 1; i >= 0; i--) {
      org.apache.arrow.flatbuf.Buffer.createBuffer(fb, buffers[i][0], buffers[i][1]);
    }
    int buffersAt = fb.endVector();
    org.apache.arrow.flatbuf.RecordBatch.startRecordBatch(fb);
    org.apache.arrow.flatbuf.RecordBatch.addLength(fb, length);
    org.apache.arrow.flatbuf.RecordBatch.addNodes(fb, nodesAt);
    org.apache.arrow.flatbuf.RecordBatch.addBuffers(fb, buffersAt);
    return org.apache.arrow.flatbuf.RecordBatch.endRecordBatch(fb);
  }

  private static byte[] message(FlatBufferBuilder fb, byte type, int header, long bodyLength) {
    org.apache.arrow.flatbuf.Message.startMessage(fb);
    org.apache.arrow.flatbuf.Message.addVersion(fb, MetadataVersion.V5);
    org.apache.arrow.flatbuf.Message.addHeaderType(fb, type);
    org.apache.arrow.flatbuf.Message.addHeader(fb, header);
    org.apache.arrow.flatbuf.Message.addBodyLength(fb, bodyLength);
    int message = org.apache.arrow.flatbuf.Message.endMessage(fb);
    fb.finish(message);
    return fb.sizedByteArray();
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  /** Little-endian longs as bytes. */
  static byte[] longs(long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return b.array();
  }

  /** Little-endian ints as bytes. */
  static byte[] ints(int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return b.array();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
