package org.blvm.sdk;

import java.util.Objects;
import org.blvm.protocol.ErrorValue;

/**
 * {@link ModuleClient.Builder#connect()} failed. {@link #reason()} says at which step; {@link
 * #error()} carries the node's answer when the node refused (the close code and message, or the
 * error of a setup request). Messages never contain the token.
 */
public final class ModuleConnectException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The step that failed. */
  public enum Reason {
    /** Socket path or token missing or malformed (environment or arguments). */
    CONFIGURATION,
    /** The socket's directory is not private to this user (symlink, wrong owner or mode). */
    UNSAFE_SOCKET_DIRECTORY,
    /** Connecting to or talking over the socket failed. */
    IO,
    /** The node did not answer the hello before the handshake deadline. */
    TIMEOUT,
    /** The node closed the connection in answer to the hello; see {@link #error()}. */
    REJECTED,
    /** The node broke the protocol during the handshake (wrong message, wrong version). */
    PROTOCOL,
    /** subscribe_events, register_module_api or ready failed; see {@link #error()}. */
    SETUP_FAILED
  }

  private final Reason reason;
  private final transient ErrorValue error;

  ModuleConnectException(Reason reason, String message, ErrorValue error, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.error = error;
  }

  ModuleConnectException(Reason reason, String message) {
    this(reason, message, null, null);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * For {@link Reason#REJECTED} the node's close code and message; for {@link Reason#SETUP_FAILED}
   * the failed request's error; otherwise null.
   */
  public ErrorValue error() {
    return error;
  }
}
