package io.wasmflight.server.internal.flight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wasmflight.server.Engine;
import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;
import io.wasmflight.server.ServerConfig;
import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.Json;
import io.wasmflight.server.internal.exchange.BatchStep;
import io.wasmflight.server.internal.exchange.ExchangeRequest;
import io.wasmflight.server.internal.exchange.ExchangeSession;
import io.wasmflight.server.internal.exchange.FlightStreams;
import io.wasmflight.server.internal.exchange.GuestStep;
import io.wasmflight.server.internal.exchange.NativeStep;
import io.wasmflight.server.internal.exchange.SessionWatch;
import io.wasmflight.server.internal.exchange.UdfInputStep;
import io.wasmflight.server.internal.guest.CallBudget;
import io.wasmflight.server.internal.guest.SessionLimits;
import io.wasmflight.server.internal.ops.ExchangeStats;
import io.wasmflight.server.internal.ops.ServerMetrics;
import io.wasmflight.server.internal.registry.FunctionSpec;
import io.wasmflight.server.internal.registry.ModuleRegistry;
import io.wasmflight.server.internal.registry.ModuleVersions;
import io.wasmflight.server.internal.registry.NativeEntry;
import io.wasmflight.server.internal.registry.RegisteredModule;
import io.wasmflight.server.internal.registry.UdfSignature;
import io.wasmflight.server.internal.security.Principal;
import io.wasmflight.server.internal.security.Role;
import io.wasmflight.server.internal.security.UsersFile;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
  static final String SET_DEFAULT = "set-default";

  /** The arrow-udf protocol's version query (engines.md): the answer is one byte, 2. */
  static final String PROTOCOL_VERSION = "protocol_version";

  static final byte[] UDF_PROTOCOL_VERSION = {2};

  /** The ListFlights criteria that lists the functions callable under the arrow-udf protocol. */
  static final String UDF_CRITERIA = "udf";

  /** The schema metadata key carrying a function's declared input in discovery. */
  static final String INPUT_METADATA = "wasm_flight.input";

  private static final List<ActionType> ACTIONS =
      List.of(
          new ActionType(
              REGISTER,
              "Register a module version. Body: {\"name\": string, \"wasm\": base64 of the "
                  + ".wasm, \"version\"?: integer}. Result: the module description JSON plus "
                  + "\"created\" and \"replaced\"."),
          new ActionType(
              LIST,
              "List registered modules with their versions. Body: empty or {}. Result: JSON array "
                  + "of module descriptions (the default version's)."),
          new ActionType(
              DESCRIBE,
              "Describe a module or one version. Body: {\"name\": \"name\" or "
                  + "\"name@version\"}. Result: module description JSON."),
          new ActionType(
              UNREGISTER,
              "Remove one version or a whole module (running sessions finish). Body: "
                  + "{\"name\": \"name@version\" or \"name\" for all}. Result: {\"name\", "
                  + "\"unregistered\": true, \"versions\": [removed]}."),
          new ActionType(
              SET_DEFAULT,
              "Make a version the default (rollback). Body: {\"name\": string, \"version\": "
                  + "integer}. Result: module description JSON."),
          new ActionType(
              PROTOCOL_VERSION,
              "The arrow-udf remote UDF protocol version spoken by this server (RisingWave, "
                  + "Databend). Body: empty. Result: one byte, 2."));

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
    ModuleRegistry.Registered r = registry.register(name, wasm);
    return Json.text(Json.bytes(r.versions().toJson(r.module())));
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
            case SET_DEFAULT -> setDefault(context, body);
            case PROTOCOL_VERSION -> {
              policy.require(context, Role.CALLER, "action 'protocol_version'", null);
              yield UDF_PROTOCOL_VERSION;
            }
            default ->
                throw new WasmFlightException.BadRequest(
                    "unknown action '"
                        + action.getType()
                        + "'; available: register, list, describe, unregister, set-default, "
                        + "protocol_version");
          };
      listener.onNext(
          new Result(result instanceof byte[] raw ? raw : Json.MAPPER.writeValueAsBytes(result)));
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(failed(t));
    }
  }

  private ObjectNode register(CallContext context, byte[] body) {
    policy.require(context, Role.ADMIN, "action 'register'", null);
    String peer = context.peerIdentity();
    ObjectNode req = Json.object(body, "register body", Set.of("name", "wasm", "version"));
    String name = Json.requiredString(req, "name", "register body");
    Principal p = policy.require(context, Role.ADMIN, "action 'register'", name);
    registerRate.acquire(p.name());
    String b64 = Json.requiredString(req, "wasm", "register body");
    Integer version = optionalVersion(req, "register body");
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
    ModuleRegistry.Registered r = registry.register(name, version, wasm, peer);
    ObjectNode out = r.versions().toJson(r.module());
    out.put("created", r.created());
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
        .filter(mv -> p.may(Role.CALLER, mv.defaultModule().name()))
        .forEach(mv -> out.add(mv.toJson()));
    return out;
  }

  private ObjectNode describe(CallContext context, byte[] body) {
    policy.require(context, Role.CALLER, "action 'describe'", null);
    ModuleRef ref = ModuleRef.of(body, DESCRIBE);
    policy.require(context, Role.CALLER, "action 'describe'", ref.name());
    ModuleVersions mv = registry.versions(ref.name());
    return mv.toJson(registry.get(ref.name(), ref.version(), null));
  }

  private ObjectNode unregister(CallContext context, byte[] body) {
    policy.require(context, Role.ADMIN, "action 'unregister'", null);
    ModuleRef ref = ModuleRef.of(body, UNREGISTER);
    policy.require(context, Role.ADMIN, "action 'unregister'", ref.name());
    List<RegisteredModule> removed = registry.unregister(ref.name(), ref.version());
    if (registry.list().stream().noneMatch(v -> v.defaultModule().name().equals(ref.name()))) {
      metrics.forgetModule(ref.name()); // its last version went
    }
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("name", ref.name());
    out.put("unregistered", true);
    ArrayNode vs = out.putArray("versions");
    removed.forEach(m -> vs.add(m.version()));
    return out;
  }

  private ObjectNode setDefault(CallContext context, byte[] body) {
    policy.require(context, Role.ADMIN, "action 'set-default'", null);
    ObjectNode req = Json.object(body, "set-default body", Set.of("name", "version"));
    String name = Json.requiredString(req, "name", "set-default body");
    policy.require(context, Role.ADMIN, "action 'set-default'", name);
    Integer version = optionalVersion(req, "set-default body");
    if (version == null) {
      throw new WasmFlightException.BadRequest(
          "set-default body is missing required field 'version'");
    }
    return registry.setDefault(name, version).toJson();
  }

  /** An optional {@code "version"} field: an integer from 1. */
  static Integer optionalVersion(ObjectNode req, String what) {
    JsonNode v = req.get("version");
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber()) {
      throw new WasmFlightException.BadRequest(what + " field 'version' must be an integer");
    }
    ModuleRegistry.checkVersion(v.asLong());
    return v.asInt();
  }

  /** A module and optional version named by a body: {@code {"name": "x" | "x@3", "version"?}}. */
  private record ModuleRef(String name, Integer version) {
    static ModuleRef of(byte[] body, String action) {
      String what = action + " body";
      ObjectNode req = Json.object(body, what, Set.of("name", "version"));
      String name = Json.requiredString(req, "name", what);
      Integer version = optionalVersion(req, what);
      int at = name.indexOf('@');
      if (at >= 0) {
        if (version != null) {
          throw new WasmFlightException.BadRequest(
              what + " names a version twice ('" + name + "' and 'version'); give one");
        }
        version = ExchangeRequest.parseVersion(name.substring(at + 1), name);
        name = name.substring(0, at);
      }
      return new ModuleRef(name, version);
    }
  }

  @Override
  public void listFlights(
      CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try {
      Principal p = policy.require(context, Role.CALLER, "ListFlights", null);
      boolean udf = isUdfCriteria(criteria);
      for (ModuleVersions mv : registry.list()) {
        RegisteredModule m = mv.defaultModule();
        if (!p.may(Role.CALLER, m.name())) {
          continue;
        }
        for (FunctionSpec f : m.functions()) {
          if (!udf) {
            listener.onNext(info(m, f, FlightDescriptor.path(m.name(), f.name())));
          } else if (UdfSignature.callable(f)) {
            String name = m.name() + "." + f.name();
            listener.onNext(udfInfo(UdfSignature.of(name, f), FlightDescriptor.path(name)));
          }
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
      RegisteredModule m = registry.get(req.module(), req.version(), req.sha256());
      if (req.udf()) {
        return udfInfo(UdfSignature.of(req.udfName(), m.function(req.function())), descriptor);
      }
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
      FunctionSpec f =
          registry.get(req.module(), req.version(), req.sha256()).function(req.function());
      if (req.udf()) {
        return new SchemaResult(UdfSignature.of(req.udfName(), f).flightSchema());
      }
      if (f.output() == null && f.input() == null) {
        throw new WasmFlightException.NotFound(
            "function '"
                + req.moduleRef()
                + "/"
                + f.name()
                + "' declares no output schema: its output depends on the input");
      }
      return new SchemaResult(discoverySchema(f));
    } catch (Throwable t) {
      throw failed(t);
    }
  }

  /**
   * What discovery reports as a function's schema: the declared output (or an empty schema), with
   * the declared input, when there is one, as JSON in the schema metadata key {@value
   * #INPUT_METADATA} (flight-protocol.md, "Discovery").
   */
  static Schema discoverySchema(FunctionSpec f) {
    Schema out = f.output() != null ? f.output() : new Schema(List.of());
    if (f.input() == null) {
      return out;
    }
    return new Schema(
        out.getFields(), Map.of(INPUT_METADATA, Json.text(Json.bytes(f.toJson().get("input")))));
  }

  /** A function as a flight: declared output schema (or empty), no endpoints (DoExchange only). */
  private static FlightInfo info(RegisteredModule m, FunctionSpec f, FlightDescriptor d) {
    Schema schema = discoverySchema(f);
    ObjectNode meta = f.toJson();
    meta.put("module", m.name());
    meta.put("version", m.version());
    meta.put("sha256", m.sha256());
    return FlightInfo.builder(schema, d, List.of()).setAppMetadata(Json.bytes(meta)).build();
  }

  /** Whether a ListFlights criteria asks for the arrow-udf listing (expression {@code udf}). */
  private static boolean isUdfCriteria(Criteria criteria) {
    byte[] e = criteria == null ? null : criteria.getExpression();
    if (e == null || e.length == 0) {
      return false;
    }
    String text = new String(e, java.nio.charset.StandardCharsets.UTF_8);
    if (!UDF_CRITERIA.equals(text)) {
      throw new WasmFlightException.BadRequest(
          "ListFlights criteria '"
              + text
              + "' is not understood: give none (every function) or 'udf' (the functions "
              + "callable under the arrow-udf protocol, named module.function)");
    }
    return true;
  }

  /**
   * A function as the arrow-udf protocol describes it (engines.md): schema = input fields then
   * output fields (with Databend's input-count metadata), {@code total_records} = the number of
   * input fields, no endpoints.
   */
  private static FlightInfo udfInfo(UdfSignature sig, FlightDescriptor d) {
    return FlightInfo.builder(sig.flightSchema(), d, List.of())
        .setRecords(sig.inputCount())
        .setBytes(0)
        .build();
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
    CallBudget budget = null;
    try {
      policy.require(context, Role.CALLER, "DoExchange", null);
      watch.whileWaitingForDescriptor(() -> FlightStreams.schemaWithoutDescriptor(reader));
      FlightDescriptor descriptor = reader.getDescriptor();
      watch.phase(SessionWatch.Phase.WORK);
      watch.checkStopped();
      ExchangeRequest req = ExchangeRequest.parse(descriptor);
      Principal principal = policy.require(context, Role.CALLER, "DoExchange", req.module());
      NativeEntry nativeEntry = registry.nativeEntry(req.module(), req.function());
      if (nativeEntry != null && req.udf()) {
        throw new WasmFlightException.BadRequest(
            "native function '"
                + req.module()
                + "/"
                + req.function()
                + "' has no declared signature: it cannot be called as a remote UDF");
      }
      if (nativeEntry != null) {
        if (req.version() != null || req.sha256() != null) {
          throw new WasmFlightException.BadRequest(
              "native function '"
                  + req.module()
                  + "/"
                  + req.function()
                  + "' has no versions (no 'version' or 'sha256')");
        }
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
      RegisteredModule module = registry.get(req.module(), req.version(), req.sha256());
      FunctionSpec function = module.function(req.function());
      UdfSignature udf = req.udf() ? UdfSignature.of(req.udfName(), function) : null;
      if (reader.hasRoot()) {
        // The schema came with the descriptor: refuse a mismatching input before any guest call.
        if (udf != null) {
          udf.checkInput(reader.getRoot().getSchema());
        } else {
          function.checkInput(reader.getRoot().getSchema());
        }
      }
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
      budget = limits.budget();
      CallBudget sessionBudget = budget;
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
          a -> {
            BatchStep step =
                new GuestStep(
                    module.instantiate(engine, limits, sessionBudget),
                    sessionBudget,
                    function,
                    req.options(),
                    a,
                    config.maxOutputBytesPerBatch());
            return udf == null ? step : new UdfInputStep(udf, step, a);
          });
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
      if (budget != null) {
        budget.close();
      }
      if (ticket != null) {
        ticket.close();
      }
      // Whatever else happened (an Error thrown past the catch): the session is counted as ended.
      stats.finish(ExchangeStats.Outcome.ERROR, "internal", null);
      watch.close();
    }
  }
}
