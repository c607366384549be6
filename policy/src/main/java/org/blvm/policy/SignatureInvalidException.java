package org.blvm.policy;

import java.nio.file.Path;

/**
 * A signature by a trusted key does not verify: the manifest (or the trusted comment) is not what
 * that key signed. Always fatal, even if other signatures would meet the threshold.
 */
public final class SignatureInvalidException extends SignatureKeyException {
  private static final long serialVersionUID = 1L;

  public SignatureInvalidException(String module, Path file, KeyId keyId, String what) {
    super(module, file, keyId, ": " + what + " does not verify with trusted key " + keyId);
  }
}
