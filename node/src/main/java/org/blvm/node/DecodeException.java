package org.blvm.node;

/** Bytes that are not a well-formed transaction, header or block. */
final class DecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  DecodeException(String message) {
    super(message);
  }
}
