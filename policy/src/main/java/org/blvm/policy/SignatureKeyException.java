package org.blvm.policy;

import java.nio.file.Path;

/**
 * A signature file that did not count, or failed, because of the key that made it: carries the
 * module, the signature file and the key id. The message starts {@code module <module>: <file
 * name>} and goes on with what the subtype says about the key.
 */
public abstract sealed class SignatureKeyException extends AdmissionException
    permits SignatureInvalidException,
        UntrustedKeyException,
        RevokedKeyException,
        KeyExpiredException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path file;
  private final KeyId keyId;

  /** {@code detail} follows the file name, e.g. {@code " is signed by key … which …"}. */
  SignatureKeyException(String module, Path file, KeyId keyId, String detail) {
    super("module " + module + ": " + file.getFileName() + detail);
    this.module = module;
    this.file = file;
    this.keyId = keyId;
  }

  public final String module() {
    return module;
  }

  /** The signature file. */
  public final Path file() {
    return file;
  }

  /** The key id the signature names. */
  public final KeyId keyId() {
    return keyId;
  }
}
