package org.blvm.modules.stratum;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * 32 bytes in the order they appear on the wire and in a block header (a hash in internal byte
 * order; a U256 in little-endian). Copies on the way in and out.
 */
final class Bytes32 {
  private final byte[] bytes;

  private Bytes32(byte[] bytes) {
    this.bytes = bytes;
  }

  static Bytes32 of(byte[] bytes) {
    if (bytes.length != 32) {
      throw new IllegalArgumentException(
          "32 bytes expected, found " + Integer.toString(bytes.length));
    }
    return new Bytes32(bytes.clone());
  }

  /** From 64 hex digits in display order (as the NodeAPI prints hashes): reversed. */
  static Bytes32 fromDisplayHex(String hex) {
    byte[] b = HexFormat.of().parseHex(hex);
    return of(reverse(b));
  }

  byte[] bytes() {
    return bytes.clone();
  }

  /** Hex in display order (the internal bytes reversed), as Bitcoin prints block hashes. */
  String displayHex() {
    return HexFormat.of().formatHex(reverse(bytes));
  }

  static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes32 other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(bytes);
  }
}
