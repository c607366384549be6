package org.blvm.policy;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A SHA-256 digest (32 bytes). Immutable; {@link #equals} compares in constant time. */
public final class Sha256 {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private final byte[] bytes;

  private Sha256(byte[] bytes) {
    this.bytes = bytes;
  }

  /** From 32 bytes (copied). */
  public static Sha256 of(byte[] digest) {
    if (digest.length != 32) {
      throw new IllegalArgumentException("a SHA-256 digest is 32 bytes, found " + digest.length);
    }
    return new Sha256(digest.clone());
  }

  /**
   * From 64 lowercase hex characters.
   *
   * @throws IllegalArgumentException when {@code hex} is not exactly that
   */
  public static Sha256 parse(String hex) {
    if (!HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("not 64 lowercase hex characters: \"" + hex + "\"");
    }
    return new Sha256(HexFormat.of().parseHex(hex));
  }

  /** Digest of {@code data}. */
  public static Sha256 digest(byte[] data) {
    return new Sha256(newDigest().digest(data));
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** A copy of the 32 bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Lowercase hex, as in manifests and {@code sha256sum}. */
  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sha256 && MessageDigest.isEqual(bytes, ((Sha256) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return hex();
  }
}
