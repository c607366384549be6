package org.blvm.policy;

import java.nio.file.Path;

/**
 * A signature by a trusted key does not verify: the manifest (or the trusted comment) is not what
 * that key signed. Always fatal, even if other signatures would meet the threshold.
 */
public final class SignatureInvalidException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path file;
  private final KeyId keyId;

  public SignatureInvalidException(String module, Path file, KeyId keyId, String what) {
    super(
        "module "
            + module
            + ": "
            + file.getFileName()
            + ": "
            + what
            + " does not verify with trusted key "
            + keyId);
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
