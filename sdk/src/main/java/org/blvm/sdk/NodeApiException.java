package org.blvm.sdk;

import java.util.Objects;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;

/**
 * A NodeAPI call failed: the node answered with an error, the call's deadline passed ({@link
 * ErrorCode#TIMEOUT}), or the connection is closed ({@link ErrorCode#UNAVAILABLE}). The connection
 * stays usable after an error answer; only a protocol violation closes it.
 */
public final class NodeApiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final transient ErrorValue error;

  public NodeApiException(String method, ErrorValue error) {
    super(
        Objects.requireNonNull(method, "method")
            + " failed: "
            + Objects.requireNonNull(error, "error").code()
            + (error.capability() == null ? "" : " (" + error.capability().wireName() + ")")
            + ": "
            + error.message());
    this.method = method;
    this.error = error;
  }

  /** The wire name of the method that failed. */
  public String method() {
    return method;
  }

  /** The error as the node sent it (or as the SDK made it for a timeout or a closed connection). */
  public ErrorValue error() {
    return error;
  }

  public ErrorCode code() {
    return error.code();
  }

  /** The missing capability for {@link ErrorCode#NOT_CAPABLE}, else null. */
  public Capability capability() {
    return error.capability();
  }
}
