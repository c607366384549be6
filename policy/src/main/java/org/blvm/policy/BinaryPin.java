package org.blvm.policy;

import java.util.Objects;

/** The manifest's {@code [binary]} table: the entry file's SHA-256 and exact size in bytes. */
public record BinaryPin(Sha256 sha256, long size) {
  public BinaryPin {
    Objects.requireNonNull(sha256, "sha256");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, found " + size);
    }
  }
}
