package io.wasmflight.server.internal.ops;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns gRPC's report of a client that went away into one debug line. grpc-netty logs through
 * java.util.logging: when a client disconnects in the middle of a stream, {@code
 * io.grpc.netty.NettyServerHandler} writes a WARNING "Stream Error" with a 25-line Netty stack
 * trace (an {@code Http2Exception$StreamException} "Stream closed before write could take place").
 * The exchange that lost its client already logs one line with {@code outcome=cancelled}, so these
 * records become a single DEBUG line on {@code io.wasmflight.server.disconnect}. Every other record
 * of those loggers — real errors — passes through unchanged, stack trace and all.
 */
public final class ClientDisconnects implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger("io.wasmflight.server.disconnect");

  /** Held so that java.util.logging keeps the loggers, and their filter, alive. */
  private static final List<java.util.logging.Logger> GRPC_LOGGERS =
      List.of(
          java.util.logging.Logger.getLogger("io.grpc.netty.NettyServerHandler"),
          java.util.logging.Logger.getLogger("io.grpc.netty.NettyServerTransport"));

  private final Filter next;

  private ClientDisconnects(Filter next) {
    this.next = next;
  }

  /** Installs the filter (once per JVM; later calls do nothing). */
  public static synchronized void install() {
    for (java.util.logging.Logger l : GRPC_LOGGERS) {
      if (!(l.getFilter() instanceof ClientDisconnects)) {
        l.setFilter(new ClientDisconnects(l.getFilter()));
      }
    }
  }

  @Override
  public boolean isLoggable(LogRecord record) {
    Throwable t = record.getThrown();
    if (t != null && record.getLevel().intValue() <= Level.WARNING.intValue() && isDisconnect(t)) {
      LOG.debug(
          "client disconnected: {}: {} ({})",
          t.getClass().getSimpleName(),
          t.getMessage(),
          record.getLoggerName());
      return false;
    }
    return next == null || next.isLoggable(record);
  }

  /** A stream the client closed or reset, or a connection it dropped. */
  static boolean isDisconnect(Throwable t) {
    if (t instanceof Http2Exception.StreamException e) {
      String m = e.getMessage() == null ? "" : e.getMessage();
      return e.error() == Http2Error.STREAM_CLOSED
          || e.error() == Http2Error.CANCEL
          || m.startsWith("Stream closed");
    }
    if (t instanceof IOException) {
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      return m.contains("connection reset")
          || m.contains("broken pipe")
          || m.contains("connection closed");
    }
    return false;
  }
}
