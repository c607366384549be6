package org.blvm.policy;

/**
 * A minisign key (public or secret) that cannot be used: wrong format, unsupported algorithm, or
 * wrong password. The message names the source and the reason, never key material or passwords.
 */
public final class KeyFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String reason;

  public KeyFormatException(String source, String reason) {
    super(source + ": " + reason);
    this.source = source;
    this.reason = reason;
  }

  /** The file or policy key the key came from. */
  public String source() {
    return source;
  }

  public String reason() {
    return reason;
  }
}
