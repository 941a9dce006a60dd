package io.wasmflight.server;

/**
 * Root of every failure the server reports. Each subclass names one failure class; the single
 * mapping to Flight status codes is {@code io.wasmflight.server.internal.flight.ErrorMapping}.
 *
 * <p>The message a client sees is {@code "<kind>[ in <where>]: <detail>"}, where {@code where}
 * names the module, function and batch index once they are known.
 */
public abstract sealed class WasmFlightException extends RuntimeException
    permits WasmFlightException.BadRequest,
        WasmFlightException.NotFound,
        WasmFlightException.ModuleRejected,
        WasmFlightException.Unsupported,
        WasmFlightException.LimitExceeded,
        WasmFlightException.GuestRejectedInput,
        WasmFlightException.GuestError,
        WasmFlightException.GuestOutOfMemory,
        WasmFlightException.GuestTrap,
        WasmFlightException.AbiViolation,
        WasmFlightException.Cancelled,
        WasmFlightException.TimedOut,
        WasmFlightException.ClientStalled,
        WasmFlightException.Unauthenticated,
        WasmFlightException.Unauthorized {

  private static final long serialVersionUID = 1L;

  private final String detail;
  private volatile String where;

  WasmFlightException(String detail, Throwable cause) {
    super(detail, cause);
    this.detail = detail;
  }

  /** Short name of the failure class, the first word(s) of the client-visible message. */
  public abstract String kind();

  /** What went wrong, without the kind and location prefix. */
  public String detail() {
    return detail;
  }

  /** Where it happened ("module/function at batch N"), or null when not tied to a function. */
  public String where() {
    return where;
  }

  /** Sets the location once; later calls keep the first (innermost) location. */
  public WasmFlightException at(String location) {
    if (where == null) {
      where = location;
    }
    return this;
  }

  @Override
  public String getMessage() {
    String w = where;
    return w == null ? kind() + ": " + detail : kind() + " in " + w + ": " + detail;
  }

  /** The request is malformed: body, descriptor, options, schema or names. */
  public static final class BadRequest extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public BadRequest(String detail) {
      super(detail, null);
    }

    public BadRequest(String detail, Throwable cause) {
      super(detail, cause);
    }

    @Override
    public String kind() {
      return "bad request";
    }
  }

  /** An unknown module or function. */
  public static final class NotFound extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public NotFound(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "not found";
    }
  }

  /** A module refused at registration: unparsable, wrong ABI, missing exports, start trap. */
  public static final class ModuleRejected extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public ModuleRejected(String detail) {
      super(detail, null);
    }

    public ModuleRejected(String detail, Throwable cause) {
      super(detail, cause);
    }

    @Override
    public String kind() {
      return "module rejected";
    }
  }

  /** A feature reserved by the ABI but not implemented by this server version. */
  public static final class Unsupported extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public Unsupported(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "unsupported";
    }
  }

  /** A configured limit was hit: memory pages, output size, Arrow memory, module size. */
  public static final class LimitExceeded extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public LimitExceeded(String detail) {
      super(detail, null);
    }

    public LimitExceeded(String detail, Throwable cause) {
      super(detail, cause);
    }

    @Override
    public String kind() {
      return "limit exceeded";
    }
  }

  /** The guest returned WF_ERR_INVALID_INPUT: it refuses the input schema, data or options. */
  public static final class GuestRejectedInput extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public GuestRejectedInput(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "input rejected by guest";
    }
  }

  /** The guest returned WF_ERR_EXECUTION: the user's function failed. */
  public static final class GuestError extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public GuestError(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "guest error";
    }
  }

  /** The guest returned WF_ERR_OUT_OF_MEMORY or could not allocate for the host. */
  public static final class GuestOutOfMemory extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public GuestOutOfMemory(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "guest out of memory";
    }
  }

  /** The guest trapped (unreachable, out-of-bounds access, division by zero, stack exhausted). */
  public static final class GuestTrap extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public GuestTrap(String detail, Throwable cause) {
      super(detail, cause);
    }

    @Override
    public String kind() {
      return "trap";
    }
  }

  /** The guest broke the ABI: bad status, invalid output structs, pointers outside memory. */
  public static final class AbiViolation extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public AbiViolation(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "ABI violation";
    }
  }

  /** The client cancelled the call or went away; nothing is sent back. */
  public static final class Cancelled extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public Cancelled(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "cancelled";
    }
  }

  /** A guest call or session ran past its CPU-time limit; the instance was stopped. */
  public static final class TimedOut extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public TimedOut(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "time limit exceeded";
    }
  }

  /**
   * The client neither sent input nor read output for the stall time: a session cannot wait on it
   * forever (for example a client that writes its whole input before reading any output, past the
   * session's output budget).
   */
  public static final class ClientStalled extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public ClientStalled(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "client stalled";
    }
  }

  /** The call carries no valid credentials (or its principal left the users file). */
  public static final class Unauthenticated extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public Unauthenticated(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "unauthenticated";
    }
  }

  /** The caller is known but lacks the role the call needs; the detail names it. */
  public static final class Unauthorized extends WasmFlightException {
    private static final long serialVersionUID = 1L;

    public Unauthorized(String detail) {
      super(detail, null);
    }

    @Override
    public String kind() {
      return "unauthorized";
    }
  }
}
