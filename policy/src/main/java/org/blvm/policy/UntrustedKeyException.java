package org.blvm.policy;

import java.nio.file.Path;

/** The signature names a key id that is not among the policy's trusted keys. */
public final class UntrustedKeyException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path file;
  private final KeyId keyId;

  public UntrustedKeyException(String module, Path file, KeyId keyId) {
    super(
        "module "
            + module
            + ": "
            + file.getFileName()
            + " is signed by key "
            + keyId
            + ", which the policy does not trust");
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
