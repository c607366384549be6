package org.blvm.policy;

import java.nio.file.Path;
import java.time.Instant;

/** The signing key is trusted, but not at this time (before not_before or after not_after). */
public final class KeyExpiredException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path file;
  private final KeyId keyId;
  private final Instant notBefore;
  private final Instant notAfter;
  private final Instant now;

  public KeyExpiredException(
      String module, Path file, KeyId keyId, Instant notBefore, Instant notAfter, Instant now) {
    super(
        "module "
            + module
            + ": "
            + file.getFileName()
            + " is signed by key "
            + keyId
            + ", trusted only "
            + (notBefore == null ? "" : "from " + notBefore + " ")
            + (notAfter == null ? "" : "until " + notAfter + " ")
            + "but the time is "
            + now);
    this.module = module;
    this.file = file;
    this.keyId = keyId;
    this.notBefore = notBefore;
    this.notAfter = notAfter;
    this.now = now;
  }

  public String module() {
    return module;
  }

  public Path file() {
    return file;
  }

  public KeyId keyId() {
    return keyId;
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
