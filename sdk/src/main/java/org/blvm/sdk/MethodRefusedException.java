package org.blvm.sdk;

import java.util.Objects;
import java.util.Set;
import org.blvm.protocol.ErrorCode;

/**
 * Thrown by a served method ({@link ModuleClient.MethodHandler}) to answer the caller with a
 * specific error instead of a result: the SDK sends {@code code} and the message as the invoke's
 * error, which the node passes to the calling module as the answer of its {@code call_module}. Any
 * other exception is answered {@code INTERNAL}.
 */
public final class MethodRefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The codes a served method may answer with (the close-only codes are not among them). */
  public static final Set<ErrorCode> CODES =
      Set.of(
          ErrorCode.NOT_CAPABLE,
          ErrorCode.UNKNOWN_METHOD,
          ErrorCode.INVALID_PARAMS,
          ErrorCode.NOT_FOUND,
          ErrorCode.TIMEOUT,
          ErrorCode.RATE_LIMITED,
          ErrorCode.UNAVAILABLE,
          ErrorCode.INTERNAL);

  private final ErrorCode code;

  /**
   * @throws IllegalArgumentException when {@code code} is a close-only code
   */
  public MethodRefusedException(ErrorCode code, String message) {
    super(Objects.requireNonNull(message, "message"));
    if (!CODES.contains(Objects.requireNonNull(code, "code"))) {
      throw new IllegalArgumentException(code + " is only used in close, not in an answer");
    }
    this.code = code;
  }

  /** The code the caller receives. */
  public ErrorCode code() {
    return code;
  }
}
