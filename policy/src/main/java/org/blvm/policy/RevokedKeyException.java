package org.blvm.policy;

import java.nio.file.Path;

/** The signature was made by a key the policy lists as revoked. */
public final class RevokedKeyException extends SignatureKeyException {
  private static final long serialVersionUID = 1L;

  public RevokedKeyException(String module, Path file, KeyId keyId) {
    super(module, file, keyId, " is signed by key " + keyId + ", which the policy revoked");
  }
}
