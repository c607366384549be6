package org.blvm.policy;

import java.nio.file.Path;

/** The signature names a key id that is not among the policy's trusted keys. */
public final class UntrustedKeyException extends SignatureKeyException {
  private static final long serialVersionUID = 1L;

  public UntrustedKeyException(String module, Path file, KeyId keyId) {
    super(module, file, keyId, " is signed by key " + keyId + ", which the policy does not trust");
  }
}
