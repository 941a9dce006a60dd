package io.wasmflight.server.internal;

import io.wasmflight.server.WasmFlightException;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;

/**
 * Waits for the client to be ready before each {@code putNext()} (Flight's {@code putNext} never
 * blocks, so without this a slow reader makes the server buffer without bound) and turns a client
 * cancellation into {@link WasmFlightException.Cancelled}.
 */
final class Backpressure {
  private final ServerStreamListener listener;
  private final Object lock = new Object();
  private volatile boolean cancelled;

  Backpressure(ServerStreamListener listener) {
    this.listener = listener;
    listener.setOnReadyHandler(this::wake);
    listener.setOnCancelHandler(
        () -> {
          cancelled = true;
          wake();
        });
  }

  private void wake() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  void checkCancelled() {
    if (cancelled || listener.isCancelled()) {
      throw new WasmFlightException.Cancelled("the client cancelled the exchange");
    }
  }

  /** Blocks until the transport can take another message or the call is cancelled. */
  void awaitReady() {
    synchronized (lock) {
      while (!listener.isReady()) {
        checkCancelled();
        try {
          lock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new WasmFlightException.Cancelled("the server is shutting down");
        }
      }
    }
    checkCancelled();
  }
}
