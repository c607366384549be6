package org.blvm.protocol;

import java.util.Objects;

/**
 * Malformed or out-of-bounds input on the wire. {@link #reason()} says which rule was broken; the
 * message names what was expected and what was found.
 */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Which rule the input broke. */
  public enum Reason {
    /** The stream ended inside a length prefix or a payload. */
    TRUNCATED_FRAME,
    /** A frame of length 0. */
    EMPTY_FRAME,
    /** The length prefix exceeds the maximum frame size. */
    FRAME_TOO_LARGE,
    /** The payload is not one well-formed CBOR item (or has bytes after it). */
    MALFORMED_CBOR,
    /** A size bound was exceeded: string, list, map, nesting depth or total items. */
    LIMIT_EXCEEDED,
    /** The top level is not a map, or a field has the wrong CBOR type. */
    WRONG_TYPE,
    /** A required field is missing, or a field is not allowed for this kind. */
    BAD_FIELD,
    /** The {@code kind} is not one this protocol defines. */
    UNKNOWN_KIND,
    /** A map has the same key twice. */
    DUPLICATE_KEY
  }

  private final Reason reason;

  public ProtocolException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason);
  }

  public ProtocolException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason);
  }

  public Reason reason() {
    return reason;
  }
}
