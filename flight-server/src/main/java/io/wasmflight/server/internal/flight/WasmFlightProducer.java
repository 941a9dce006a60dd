package io.wasmflight.server.internal.flight;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.Engine;
import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.exchange.ExchangeRequest;
import io.wasmflight.server.internal.exchange.ExchangeSession;
import io.wasmflight.server.internal.exchange.FlightStreams;
import io.wasmflight.server.internal.exchange.GuestStep;
import io.wasmflight.server.internal.exchange.NativeStep;
import io.wasmflight.server.internal.exchange.SessionWatch;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.SessionLimits;
import io.wasmflight.server.internal.ops.ExchangeStats;
import io.wasmflight.server.internal.ops.ServerMetrics;
import io.wasmflight.server.internal.registry.FunctionSpec;
import io.wasmflight.server.internal.registry.ModuleRegistry;
import io.wasmflight.server.internal.registry.NativeEntry;
import io.wasmflight.server.internal.registry.RegisteredModule;
import io.wasmflight.server.internal.security.Principal;
import io.wasmflight.server.internal.security.Role;
import io.wasmflight.server.internal.security.UsersFile;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flight surface of wasm-flight (proto-docs/flight-protocol.md): module management over
 * DoAction, discovery over ListFlights/GetFlightInfo/GetSchema, and DoExchange sessions.
 */
public final class WasmFlightProducer extends NoOpFlightProducer {
  private static final Logger LOG = LoggerFactory.getLogger(WasmFlightProducer.class);

  static final String REGISTER = "register";
  static final String LIST = "list";
  static final String DESCRIBE = "describe";
  static final String UNREGISTER = "unregister";

  private static final List<ActionType> ACTIONS =
      List.of(
          new ActionType(
              REGISTER,
              "Register or replace a module. Body: {\"name\": string, \"wasm\": "
                  + "base64 of the .wasm}. Result: the module description JSON plus \"replaced\"."),
          new ActionType(
              LIST,
              "List registered modules. Body: empty or {}. Result: JSON array of "
                  + "module descriptions."),
          new ActionType(
              DESCRIBE,
              "Describe one module. Body: {\"name\": string}. Result: module "
                  + "description JSON."),
          new ActionType(
              UNREGISTER,
              "Remove a module (running sessions finish). Body: {\"name\": "
                  + "string}. Result: {\"name\": string, \"unregistered\": true}."));

  private final BufferAllocator allocator;
  private final ModuleRegistry registry;
  private final ServerConfig config;
  private final ServerMetrics metrics;
  private final AccessPolicy policy;
  private final SessionAdmission admission;
  private final RegisterRate registerRate;

  /**
   * @param users the users file, or null for a server without authentication (every client admin)
   */
  public WasmFlightProducer(
      BufferAllocator allocator,
      ModuleRegistry registry,
      ServerConfig config,
      ServerMetrics metrics,
      UsersFile users) {
    this.allocator = allocator;
    this.registry = registry;
    this.config = config;
    this.metrics = metrics;
    this.policy = new AccessPolicy(users);
    this.admission =
        new SessionAdmission(
            config.maxSessions(), config.maxSessionsPerPrincipal(), config.maxGuestMemoryBytes());
    this.registerRate = new RegisterRate(config.registerRatePerMinute());
  }

  /** The failure as the client will see it, counted by kind. */
  private FlightRuntimeException failed(Throwable t) {
    metrics.error(ErrorMapping.kind(t));
    return ErrorMapping.toFlight(t);
  }

  /** Flight's header authenticator over {@code users} (basic login and bearer tokens). */
  public static org.apache.arrow.flight.auth2.CallHeaderAuthenticator authenticator(
      UsersFile users) {
    return new FlightAuthenticator(users);
  }

  /** Sessions open now (admitted and not yet ended). */
  public int openSessions() {
    return admission.sessions();
  }

  /** Guest memory the open sessions reserved at admission, in bytes. */
  public long reservedGuestMemoryBytes() {
    return admission.reservedBytes();
  }

  /** Adds a native map (see {@link NativeFunction}). */
  public void registerNative(String module, String function, NativeFunction f) {
    registry.registerNative(module, function, f);
  }

  /** Adds a native function of any kind (see {@link NativeKernel}). */
  public void registerNative(String module, String function, NativeKernel.Factory f) {
    registry.registerNative(module, function, f);
  }

  /** Registers a module outside of Flight (used for --register at start). */
  public String register(String name, byte[] wasm) {
    return Json.text(Json.bytes(registry.register(name, wasm).module().toJson()));
  }

  @Override
  public void listActions(CallContext context, StreamListener<ActionType> listener) {
    try {
      policy.require(context, Role.CALLER, "ListActions", null);
    } catch (Throwable t) {
      listener.onError(ErrorMapping.toFlight(t));
      return;
    }
    ACTIONS.forEach(listener::onNext);
    listener.onCompleted();
  }

  @Override
  public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
    try {
      byte[] body = action.getBody() == null ? new byte[0] : action.getBody();
      Object result =
          switch (action.getType()) {
            case REGISTER -> register(context, body);
            case LIST -> list(policy.require(context, Role.CALLER, "action 'list'", null), body);
            case DESCRIBE -> describe(context, body);
            case UNREGISTER -> unregister(context, body);
            default ->
                throw new WasmFlightException.BadRequest(
                    "unknown action '"
                        + action.getType()
                        + "'; available: register, list, describe, unregister");
          };
      listener.onNext(new Result(Json.MAPPER.writeValueAsBytes(result)));
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(failed(t));
    }
  }

  private ObjectNode register(CallContext context, byte[] body) {
    policy.require(context, Role.ADMIN, "action 'register'", null);
    ObjectNode req = Json.object(body, "register body", Set.of("name", "wasm"));
    String name = Json.requiredString(req, "name", "register body");
    Principal p = policy.require(context, Role.ADMIN, "action 'register'", name);
    registerRate.acquire(p.name());
    String b64 = Json.requiredString(req, "wasm", "register body");
    byte[] wasm;
    try {
      wasm = Base64.getDecoder().decode(b64.strip());
    } catch (IllegalArgumentException e) {
      throw new WasmFlightException.BadRequest(
          "register body field 'wasm' is not valid base64: " + e.getMessage());
    }
    if (wasm.length == 0) {
      throw new WasmFlightException.BadRequest("register body field 'wasm' is empty");
    }
    ModuleRegistry.Registered r = registry.register(name, wasm);
    ObjectNode out = r.module().toJson();
    out.put("replaced", r.replaced());
    return out;
  }

  /** The modules {@code p} may call (a caller limited to a prefix sees only those). */
  private ArrayNode list(Principal p, byte[] body) {
    if (body.length > 0) {
      Json.object(body, "list body", Set.of());
    }
    ArrayNode out = Json.MAPPER.createArrayNode();
    registry.list().stream()
        .filter(m -> p.may(Role.CALLER, m.name()))
        .forEach(m -> out.add(m.toJson()));
    return out;
  }

  private ObjectNode describe(CallContext context, byte[] body) {
    policy.require(context, Role.CALLER, "action 'describe'", null);
    String name = nameOf(body, DESCRIBE);
    policy.require(context, Role.CALLER, "action 'describe'", name);
    return registry.get(name).toJson();
  }

  private ObjectNode unregister(CallContext context, byte[] body) {
    policy.require(context, Role.ADMIN, "action 'unregister'", null);
    String name = nameOf(body, UNREGISTER);
    policy.require(context, Role.ADMIN, "action 'unregister'", name);
    RegisteredModule removed = registry.unregister(name);
    metrics.forgetModule(removed.name());
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("name", removed.name());
    out.put("unregistered", true);
    return out;
  }

  private static String nameOf(byte[] body, String action) {
    ObjectNode req = Json.object(body, action + " body", Set.of("name"));
    return Json.requiredString(req, "name", action + " body");
  }

  @Override
  public void listFlights(
      CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try {
      Principal p = policy.require(context, Role.CALLER, "ListFlights", null);
      for (RegisteredModule m : registry.list()) {
        if (!p.may(Role.CALLER, m.name())) {
          continue;
        }
        for (FunctionSpec f : m.functions()) {
          listener.onNext(info(m, f, FlightDescriptor.path(m.name(), f.name())));
        }
      }
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(failed(t));
    }
  }

  @Override
  public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
    try {
      policy.require(context, Role.CALLER, "GetFlightInfo", null);
      ExchangeRequest req = ExchangeRequest.parse(descriptor);
      policy.require(context, Role.CALLER, "GetFlightInfo", req.module());
      RegisteredModule m = registry.get(req.module());
      return info(m, m.function(req.function()), descriptor);
    } catch (Throwable t) {
      throw failed(t);
    }
  }

  @Override
  public SchemaResult getSchema(CallContext context, FlightDescriptor descriptor) {
    try {
      policy.require(context, Role.CALLER, "GetSchema", null);
      ExchangeRequest req = ExchangeRequest.parse(descriptor);
      policy.require(context, Role.CALLER, "GetSchema", req.module());
      FunctionSpec f = registry.get(req.module()).function(req.function());
      if (f.output() == null) {
        throw new WasmFlightException.NotFound(
            "function '"
                + req.module()
                + "/"
                + f.name()
                + "' declares no output schema: its output depends on the input");
      }
      return new SchemaResult(f.output());
    } catch (Throwable t) {
      throw failed(t);
    }
  }

  /** A function as a flight: declared output schema (or empty), no endpoints (DoExchange only). */
  private static FlightInfo info(RegisteredModule m, FunctionSpec f, FlightDescriptor d) {
    Schema schema = f.output() != null ? f.output() : new Schema(List.of());
    ObjectNode meta = f.toJson();
    meta.put("module", m.name());
    meta.put("sha256", m.sha256());
    return FlightInfo.builder(schema, d, List.of()).setAppMetadata(Json.bytes(meta)).build();
  }

  @Override
  public void getStream(
      CallContext context, org.apache.arrow.flight.Ticket ticket, ServerStreamListener listener) {
    listener.error(
        ErrorMapping.toFlight(
            new WasmFlightException.Unsupported(
                "DoGet is not supported: functions are called with DoExchange")));
  }

  @Override
  public Runnable acceptPut(
      CallContext context,
      FlightStream flightStream,
      StreamListener<org.apache.arrow.flight.PutResult> ackStream) {
    throw ErrorMapping.toFlight(
        new WasmFlightException.Unsupported(
            "DoPut is not supported: modules are registered with DoAction(\"register\") and "
                + "functions are called with DoExchange"));
  }

  @Override
  public void doExchange(CallContext context, FlightStream reader, ServerStreamListener listener) {
    SessionWatch watch = new SessionWatch(config.stallTimeout());
    ExchangeStats stats = metrics.session();
    listener.setOnCancelHandler(
        () -> watch.stop(new WasmFlightException.Cancelled("the client cancelled the exchange")));
    ExchangeSession session = null;
    SessionAdmission.Ticket ticket = null;
    try {
      policy.require(context, Role.CALLER, "DoExchange", null);
      watch.whileWaitingForDescriptor(() -> FlightStreams.schemaWithoutDescriptor(reader));
      FlightDescriptor descriptor = reader.getDescriptor();
      watch.phase(SessionWatch.Phase.WORK);
      watch.checkStopped();
      ExchangeRequest req = ExchangeRequest.parse(descriptor);
      Principal principal = policy.require(context, Role.CALLER, "DoExchange", req.module());
      NativeEntry nativeEntry = registry.nativeEntry(req.module(), req.function());
      if (nativeEntry != null) {
        if (req.hasOptions()) {
          throw new WasmFlightException.BadRequest(
              "native function '" + req.module() + "/" + req.function() + "' takes no options");
        }
        watch.limits(SessionLimits.resolve(req.limits(), config));
        ticket = admission.admit(principal.name(), 0);
        stats.function(req.module() + "/" + req.function(), "native");
        session =
            new ExchangeSession(
                req.module() + "/" + req.function() + " (native)",
                config.exchangeMemoryLimit(),
                config.outputBudgetBytes(),
                watch,
                stats);
        session.run(allocator, reader, listener, a -> NativeStep.open(nativeEntry, a));
        return;
      }
      RegisteredModule module = registry.get(req.module());
      FunctionSpec function = module.function(req.function());
      if (function.init() == null && req.hasOptions()) {
        throw new WasmFlightException.BadRequest(
            "function '"
                + module.name()
                + "/"
                + function.name()
                + "' takes no options, got "
                + req.options());
      }
      Engine engine = req.engine() != null ? req.engine() : config.defaultEngine();
      SessionLimits limits = SessionLimits.resolve(req.limits(), config);
      watch.limits(limits);
      ticket = admission.admit(principal.name(), (long) limits.memoryPages() << 16);
      CallBudget budget = limits.budget();
      watch.budget(budget);
      stats.function(module.name() + "/" + function.name(), engine.wireName());
      session =
          new ExchangeSession(
              module.name() + "/" + function.name() + " (" + engine.wireName() + ")",
              config.exchangeMemoryLimit(),
              config.outputBudgetBytes(),
              watch,
              stats);
      session.run(
          allocator,
          reader,
          listener,
          a ->
              new GuestStep(
                  module.instantiate(engine, limits, budget),
                  budget,
                  function,
                  req.options(),
                  a,
                  config.maxOutputBytesPerBatch()));
    } catch (Throwable t) {
      // A stopped session fails wherever it was interrupted: the stop says why.
      Throwable cause = watch.stopCause() != null ? watch.stopCause() : t;
      if (listener.isCancelled() || cause instanceof WasmFlightException.Cancelled) {
        // Flight closes the input stream when the client cancels, so whatever the session was
        // doing may fail in any way: that is the cancellation, not an error to report.
        LOG.debug("exchange cancelled by the client", t);
        stats.finish(ExchangeStats.Outcome.CANCELLED, "cancelled", null);
        listener.error(
            ErrorMapping.toFlight(
                new WasmFlightException.Cancelled("the client cancelled the exchange")));
        FlightStreams.releaseLateLoads(reader);
        return;
      }
      if (cause instanceof WasmFlightException e && session != null) {
        e.at(session.where());
      }
      // The exchange's log line (ExchangeStats) carries the message; a bug's trace is logged by
      // ErrorMapping.
      FlightRuntimeException status = ErrorMapping.toFlight(cause);
      stats.finish(ExchangeStats.Outcome.ERROR, ErrorMapping.kind(cause), cause.getMessage());
      if (cause != t) {
        LOG.debug("the stopped session failed with", t);
      }
      watch.discardInput(reader);
      listener.error(status);
    } finally {
      if (ticket != null) {
        ticket.close();
      }
      // Whatever else happened (an Error thrown past the catch): the session is counted as ended.
      stats.finish(ExchangeStats.Outcome.ERROR, "internal", null);
      watch.close();
    }
  }
}
