package io.wasmflight.server.internal.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Only a client going away is shortened; every other grpc-netty record keeps its stack trace. */
class ClientDisconnectsTest {
  private static LogRecord warning(Throwable t) {
    LogRecord r = new LogRecord(Level.WARNING, "Stream Error");
    r.setThrown(t);
    return r;
  }

  @Test
  void aVanishedClientIsRecognised() {
    assertTrue(
        ClientDisconnects.isDisconnect(
            Http2Exception.streamError(
                3, Http2Error.STREAM_CLOSED, "Stream closed before write could take place")));
    assertTrue(
        ClientDisconnects.isDisconnect(
            Http2Exception.streamError(5, Http2Error.CANCEL, "Stream cancelled")));
    assertTrue(ClientDisconnects.isDisconnect(new IOException("Connection reset by peer")));
    assertTrue(ClientDisconnects.isDisconnect(new IOException("Broken pipe")));
  }

  @Test
  void realErrorsAreNot() {
    assertFalse(
        ClientDisconnects.isDisconnect(
            Http2Exception.streamError(3, Http2Error.PROTOCOL_ERROR, "bad frame")));
    assertFalse(
        ClientDisconnects.isDisconnect(
            Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR, "connection broken")));
    assertFalse(ClientDisconnects.isDisconnect(new IOException("No space left on device")));
    assertFalse(ClientDisconnects.isDisconnect(new IllegalStateException("a bug")));
  }

  @Test
  void theInstalledFilterDropsOnlyDisconnectRecords() {
    ClientDisconnects.install();
    ClientDisconnects.install(); // idempotent
    Logger grpc = Logger.getLogger("io.grpc.netty.NettyServerHandler");
    List<LogRecord> published = new ArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            published.add(r); // only what passed the logger's filter gets here
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    grpc.addHandler(capture);
    grpc.setUseParentHandlers(false); // keep the test's own output quiet
    try {
      grpc.log(
          warning(
              Http2Exception.streamError(
                  3, Http2Error.STREAM_CLOSED, "Stream closed before write could take place")));
      grpc.log(warning(new IllegalStateException("a real failure")));
      grpc.log(new LogRecord(Level.WARNING, "no exception at all"));
    } finally {
      grpc.setUseParentHandlers(true);
      grpc.removeHandler(capture);
    }
    assertTrue(published.size() == 2, () -> "published: " + published.size());
    assertTrue(published.get(0).getThrown() instanceof IllegalStateException);
    assertTrue(published.get(1).getThrown() == null);
  }
}
