package org.blvm.policy;

import java.nio.file.Path;

/** The signature was made by a key the policy lists as revoked. */
public final class RevokedKeyException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path file;
  private final KeyId keyId;

  public RevokedKeyException(String module, Path file, KeyId keyId) {
    super(
        "module "
            + module
            + ": "
            + file.getFileName()
            + " is signed by key "
            + keyId
            + ", which the policy revoked");
    this.module = module;
    this.file = file;
    this.keyId = keyId;
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
}
