package io.wasmflight.server.internal.ops;

import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;

/**
 * Whether the server serves Flight calls yet: the standard gRPC health service ({@code
 * grpc.health.v1.Health}, for the whole server {@code ""} and for {@code
 * arrow.flight.protocol.FlightService}) and a gate in front of every other call. Until {@link
 * #ready()} the health service answers NOT_SERVING and every Flight call fails with UNAVAILABLE
 * "starting: loading N modules"; after {@link #shutdown()} the health service answers NOT_SERVING
 * for good.
 */
public final class Readiness implements ServerInterceptor {
  /** The Flight service's gRPC name. */
  public static final String FLIGHT_SERVICE = "arrow.flight.protocol.FlightService";

  private final HealthStatusManager health = new HealthStatusManager();
  private volatile boolean ready;
  private volatile boolean stopping;
  private volatile int loading;

  public Readiness() {
    set(ServingStatus.NOT_SERVING);
  }

  /** The health service to add to the gRPC server. */
  public BindableService healthService() {
    return health.getHealthService();
  }

  /** Starting: {@code modules} modules are being loaded (said in the UNAVAILABLE message). */
  public void loading(int modules) {
    this.loading = modules;
  }

  /** Everything is loaded: SERVING, and Flight calls go through. */
  public void ready() {
    ready = true;
    set(ServingStatus.SERVING);
  }

  public boolean isReady() {
    return ready;
  }

  /** Shutting down: NOT_SERVING from now on (later updates are ignored). */
  public void shutdown() {
    stopping = true;
    ready = false;
    health.enterTerminalState();
  }

  private void set(ServingStatus s) {
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, s);
    health.setStatus(FLIGHT_SERVICE, s);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (ready || HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    int n = loading;
    String why =
        stopping ? "shutting down" : "starting: loading " + n + (n == 1 ? " module" : " modules");
    call.close(Status.UNAVAILABLE.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
