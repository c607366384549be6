package org.blvm.node.host;

/** The node cannot start; the message says what to fix. Nothing keeps running. */
final class StartupException extends Exception {
  private static final long serialVersionUID = 1L;

  StartupException(String message) {
    super(message);
  }

  StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
