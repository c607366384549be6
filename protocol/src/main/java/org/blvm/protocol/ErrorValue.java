package org.blvm.protocol;

import java.util.Objects;

/**
 * An error as a value: {@code {code, message, capability?}}. {@code capability} is set only for
 * {@link ErrorCode#NOT_CAPABLE}.
 */
public record ErrorValue(ErrorCode code, String message, Capability capability) {
  public ErrorValue {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  public static ErrorValue of(ErrorCode code, String message) {
    return new ErrorValue(code, message, null);
  }

  public static ErrorValue notCapable(Capability capability, String message) {
    return new ErrorValue(ErrorCode.NOT_CAPABLE, message, Objects.requireNonNull(capability));
  }
}
