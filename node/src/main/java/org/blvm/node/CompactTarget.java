package org.blvm.node;

import java.math.BigInteger;

/** Bitcoin's compact target encoding ("bits") and proof-of-work comparisons. */
final class CompactTarget {
  private CompactTarget() {}

  /**
   * The target {@code bits} encodes, or null when the encoding is negative, zero or overflows 256
   * bits (Bitcoin Core's {@code SetCompact} flags).
   */
  static BigInteger decode(long bits) {
    if (bits < 0 || bits > 0xffffffffL) {
      return null;
    }
    int size = (int) (bits >>> 24);
    long word = bits & 0x007fffffL;
    BigInteger target;
    if (size <= 3) {
      target = BigInteger.valueOf(word >>> (8 * (3 - size)));
    } else {
      target = BigInteger.valueOf(word).shiftLeft(8 * (size - 3));
    }
    boolean negative = word != 0 && (bits & 0x00800000L) != 0;
    boolean overflow =
        word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
    if (negative || overflow || target.signum() == 0 || target.bitLength() > 256) {
      return null;
    }
    return target;
  }

  /** True when the internal-order hash, read as a little-endian number, is at most the target. */
  static boolean meets(byte[] hashInternal, BigInteger target) {
    return new BigInteger(1, Hashes.reverse(hashInternal)).compareTo(target) <= 0;
  }

  /** The target as 32 big-endian bytes. */
  static byte[] bytes(BigInteger target) {
    byte[] raw = target.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - n, out, 32 - n, n);
    return out;
  }

  /** {@link #meets} without allocation: {@code target} as from {@link #bytes}. */
  static boolean meets(byte[] hashInternal, byte[] target) {
    for (int i = 0; i < 32; i++) {
      int h = hashInternal[31 - i] & 0xff;
      int t = target[i] & 0xff;
      if (h != t) {
        return h < t;
      }
    }
    return true;
  }

  /** Bitcoin Core's {@code GetDifficulty}: the target of 0x1d00ffff divided by this one. */
  static double difficulty(long bits) {
    int shift = (int) ((bits >>> 24) & 0xff);
    double diff = (double) 0x0000ffff / (double) (bits & 0x00ffffffL);
    while (shift < 29) {
      diff *= 256.0;
      shift++;
    }
    while (shift > 29) {
      diff /= 256.0;
      shift--;
    }
    return diff;
  }

  /** Expected hashes to find one block: 2^256 / (target + 1). */
  static double expectedHashes(BigInteger target) {
    return BigInteger.ONE.shiftLeft(256).doubleValue() / target.add(BigInteger.ONE).doubleValue();
  }

  /** 64 lowercase hex characters, big-endian. */
  static String hex(BigInteger target) {
    String h = target.toString(16);
    return "0".repeat(64 - h.length()) + h;
  }
}
