package org.blvm.policy;

import java.nio.file.Path;
import java.time.Instant;

/** The signing key is trusted, but not at this time (before not_before or after not_after). */
public final class KeyExpiredException extends SignatureKeyException {
  private static final long serialVersionUID = 1L;

  private final Instant notBefore;
  private final Instant notAfter;
  private final Instant now;

  public KeyExpiredException(
      String module, Path file, KeyId keyId, Instant notBefore, Instant notAfter, Instant now) {
    super(
        module,
        file,
        keyId,
        " is signed by key "
            + keyId
            + ", trusted only "
            + (notBefore == null ? "" : "from " + notBefore + " ")
            + (notAfter == null ? "" : "until " + notAfter + " ")
            + "but the time is "
            + now);
    this.notBefore = notBefore;
    this.notAfter = notAfter;
    this.now = now;
  }

  /** Start of the key's validity, or null. */
  public Instant notBefore() {
    return notBefore;
  }

  /** End of the key's validity, or null. */
  public Instant notAfter() {
    return notAfter;
  }

  /** The clock's time at the check. */
  public Instant now() {
    return now;
  }
}
