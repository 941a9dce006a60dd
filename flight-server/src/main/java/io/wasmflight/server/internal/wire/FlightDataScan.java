package io.wasmflight.server.internal.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flight.impl.Flight;

/**
 * Reads one serialized {@code FlightData} the way Arrow Java 19's {@code ArrowMessage} parser will,
 * without consuming it, and refuses what would make that parser throw or lose memory: a field
 * length past the end of the message (it would allocate a body of the claimed size first), a field
 * it does not know (it would read the field's contents as tags), a repeated field (a second
 * app_metadata buffer is never freed), a descriptor that is not protobuf, a data_header that is not
 * an Arrow {@code Message} flatbuffer, an IPC version or message type it cannot handle, a body
 * without a header or beside a schema (never freed).
 *
 * <p>What it accepts, the parser reads without an exception; whether the IPC header fits the body
 * and the stream's schema is checked later, per call, by {@link InputCheck}.
 */
final class FlightDataScan {
  // FlightData field tags: (field number << 3) | wire type 2 (length-delimited).
  private static final int DESCRIPTOR_TAG = (1 << 3) | 2;
  private static final int HEADER_TAG = (2 << 3) | 2;
  private static final int APP_METADATA_TAG = (3 << 3) | 2;
  private static final int BODY_TAG = (1000 << 3) | 2;

  private FlightDataScan() {}

  /** A FlightData the Arrow Java parser would fail on or leak; the message says why. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    /** The message's descriptor, when it had a readable one (null otherwise). */
    final transient Flight.FlightDescriptor descriptor;

    Malformed(String message, Flight.FlightDescriptor descriptor) {
      super(message, null, false, false);
      this.descriptor = descriptor;
    }
  }

  /**
   * A stream that can be read twice: the gRPC buffer itself when it supports mark/reset (so the
   * parser still reads the body without a copy), else a copy.
   */
  static InputStream rereadable(InputStream in) {
    if (in.markSupported()) {
      return in;
    }
    try {
      return new ByteArrayInputStream(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Scans a {@link #rereadable} stream and resets it to where it started.
   *
   * @throws Malformed naming the first problem
   */
  static void scan(InputStream in) throws Malformed {
    in.mark(Integer.MAX_VALUE);
    Malformed failure = null;
    try {
      scanFields(in);
    } catch (IOException e) {
      failure = new Malformed("the FlightData cannot be read: " + e.getMessage(), null);
    } catch (Malformed e) {
      failure = e;
    }
    try {
      in.reset();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void scanFields(InputStream in) throws IOException, Malformed {
    Flight.FlightDescriptor descriptor = null;
    byte[] header = null;
    boolean sawDescriptor = false;
    boolean sawApp = false;
    boolean sawBody = false;
    long bodyBytes = 0;
    while (in.available() > 0) {
      int first = in.read();
      if (first == -1) {
        break;
      }
      int tag = CodedInputStream.readRawVarint32(first, in);
      String field =
          switch (tag) {
            case DESCRIPTOR_TAG -> "flight_descriptor";
            case HEADER_TAG -> "data_header";
            case APP_METADATA_TAG -> "app_metadata";
            case BODY_TAG -> "data_body";
            default ->
                throw new Malformed(
                    "the FlightData has field "
                        + (tag >>> 3)
                        + " (wire type "
                        + (tag & 7)
                        + "), which is not one of flight_descriptor, data_header, app_metadata "
                        + "and data_body",
                    descriptor);
          };
      int sizeFirst = in.read();
      if (sizeFirst == -1) {
        throw new Malformed("the FlightData ends inside its " + field + " field", descriptor);
      }
      int size = CodedInputStream.readRawVarint32(sizeFirst, in);
      int left = in.available();
      if (size < 0 || size > left) {
        throw new Malformed(
            "the FlightData's "
                + field
                + " claims "
                + Integer.toUnsignedString(size)
                + " bytes but only "
                + left
                + " follow",
            descriptor);
      }
      boolean repeated =
          switch (tag) {
            case DESCRIPTOR_TAG -> sawDescriptor;
            case HEADER_TAG -> header != null;
            case APP_METADATA_TAG -> sawApp;
            default -> sawBody;
          };
      if (repeated) {
        throw new Malformed("the FlightData has its " + field + " field twice", descriptor);
      }
      switch (tag) {
        case DESCRIPTOR_TAG -> {
          sawDescriptor = true;
          byte[] bytes = in.readNBytes(size);
          try {
            descriptor = Flight.FlightDescriptor.parseFrom(bytes);
          } catch (InvalidProtocolBufferException e) {
            throw new Malformed(
                "the flight_descriptor is not a FlightDescriptor protobuf: " + e.getMessage(),
                null);
          }
        }
        case HEADER_TAG -> header = in.readNBytes(size);
        case APP_METADATA_TAG -> {
          sawApp = true;
          skip(in, size);
        }
        default -> {
          sawBody = true;
          bodyBytes = size;
          skip(in, size);
        }
      }
    }
    if (header == null) {
      if (bodyBytes > 0) {
        throw new Malformed("the FlightData has a data_body but no data_header", descriptor);
      }
      return;
    }
    checkHeader(header, bodyBytes, descriptor);
  }

  private static void skip(InputStream in, int n) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        throw new IOException("unexpected end of the message");
      }
      left -= s;
    }
  }

  /** The checks on the IPC {@code Message} root that Arrow Java's parser itself relies on. */
  private static void checkHeader(byte[] header, long bodyBytes, Flight.FlightDescriptor descriptor)
      throws Malformed {
    String notIpc = "the data_header is not an Arrow IPC message (a Message flatbuffer)";
    if (header.length < 8) {
      throw new Malformed(notIpc + ": it has " + header.length + " bytes", descriptor);
    }
    short version;
    byte type;
    try {
      Message m = Message.getRootAsMessage(ByteBuffer.wrap(header));
      version = m.version();
      type = m.headerType();
      if (isData(type) && m.header(headerTable(type)) == null) {
        throw new Malformed(
            notIpc + ": its " + MessageHeader.name(type) + " header is missing", descriptor);
      }
      m.bodyLength();
    } catch (RuntimeException e) {
      throw new Malformed(
          notIpc + " (" + e.getClass().getSimpleName() + " reading it)", descriptor);
    }
    if (version != MetadataVersion.V4 && version != MetadataVersion.V5) {
      throw new Malformed(
          "the data_header has IPC metadata version "
              + versionName(version)
              + "; Arrow Java reads V4 and V5",
          descriptor);
    }
    if (!isData(type)) {
      throw new Malformed(
          "the data_header is a message of type "
              + typeName(type)
              + "; a Flight stream carries Schema, DictionaryBatch and RecordBatch messages",
          descriptor);
    }
    if (type == MessageHeader.Schema && bodyBytes > 0) {
      throw new Malformed(
          "the schema message has a " + bodyBytes + "-byte data_body; a schema " + "has none",
          descriptor);
    }
  }

  private static boolean isData(byte type) {
    return type == MessageHeader.Schema
        || type == MessageHeader.DictionaryBatch
        || type == MessageHeader.RecordBatch;
  }

  private static com.google.flatbuffers.Table headerTable(byte type) {
    return switch (type) {
      case MessageHeader.Schema -> new org.apache.arrow.flatbuf.Schema();
      case MessageHeader.DictionaryBatch -> new org.apache.arrow.flatbuf.DictionaryBatch();
      default -> new org.apache.arrow.flatbuf.RecordBatch();
    };
  }

  private static String versionName(short v) {
    return v >= 0 && v < MetadataVersion.names.length ? MetadataVersion.name(v) : "id " + v;
  }

  private static String typeName(byte t) {
    return t >= 0 && t < MessageHeader.names.length ? MessageHeader.name(t) : "id " + t;
  }
}
