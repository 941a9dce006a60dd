package io.wasmflight.cli;

/** The CLI's one unchecked failure: a message for stderr and the process's exit code. */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ExitCode exitCode;

  public CliException(ExitCode exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CliException(ExitCode exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public ExitCode exitCode() {
    return exitCode;
  }
}
