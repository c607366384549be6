package org.blvm.protocol;

import java.util.Optional;

/** Error codes carried by {@code response.error.code} and {@code close.code}. */
public enum ErrorCode {
  /** The module lacks the capability the call needs; {@code error.capability} names it. */
  NOT_CAPABLE,
  /** The method is not in the catalog (or not served by the target module). */
  UNKNOWN_METHOD,
  /** The params do not match the method's schema. */
  INVALID_PARAMS,
  /** The requested object (block, transaction, module) does not exist or is not visible. */
  NOT_FOUND,
  /** The call did not complete before its deadline. */
  TIMEOUT,
  /** The module exceeded a rate limit. */
  RATE_LIMITED,
  /** The node or target cannot serve the call now (not implemented by the backend, stopping…). */
  UNAVAILABLE,
  /** An unexpected failure inside the node; details are in the node's log, not on the wire. */
  INTERNAL,
  /** close only: the peer broke the protocol (bad frame, bad CBOR, wrong message order…). */
  PROTOCOL_ERROR,
  /** close only: the hello's token was wrong or the peer's credentials did not match. */
  UNAUTHENTICATED,
  /** close only: no protocol version in common. */
  UNSUPPORTED_VERSION,
  /** close only: the node is stopping the module or the module is stopping itself. */
  SHUTDOWN;

  /** Looks a code up by its wire name (the constant's name). */
  public static Optional<ErrorCode> fromWire(String name) {
    for (ErrorCode c : values()) {
      if (c.name().equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
