package org.blvm.policy;

import java.time.Instant;
import java.util.Objects;

/**
 * A signing key the operator trusts, with an optional validity window (inclusive {@code notBefore},
 * exclusive {@code notAfter}; null means unbounded).
 */
public record TrustedKey(String name, MinisignPublicKey key, Instant notBefore, Instant notAfter) {
  public TrustedKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(key, "key");
  }

  public KeyId keyId() {
    return key.keyId();
  }

  /** Whether the key may vouch for a module at {@code now}. */
  public boolean validAt(Instant now) {
    return (notBefore == null || !now.isBefore(notBefore))
        && (notAfter == null || now.isBefore(notAfter));
  }
}
