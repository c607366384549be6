package org.blvm.node;

/**
 * The simulation's pseudo-random generator: SplitMix64 (Steele, Lea and Flood), written out here so
 * that a seed gives the same sequence on every JDK. Not for anything secret.
 */
final class SplitMix64 {
  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  long nextLong() {
    long z = (state += 0x9e3779b97f4a7c15L);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1): the top 53 bits. */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound), by rejection (no modulo bias). */
  int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, found " + bound);
    }
    long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
    long r;
    do {
      r = nextLong() >>> 1;
    } while (r >= limit);
    return (int) (r % bound);
  }

  /** Uniform in [min, max], both included. */
  long between(long min, long max) {
    long span = max - min + 1;
    if (span <= 0 || span > Integer.MAX_VALUE) {
      return min + Math.floorMod(nextLong(), Math.max(1, span));
    }
    return min + nextInt((int) span);
  }

  boolean chance(double probability) {
    return nextDouble() < probability;
  }

  /** A standard normal value (Box-Muller, with StrictMath so results are the same everywhere). */
  double nextGaussian() {
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
  }

  byte[] nextBytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i += 8) {
      long v = nextLong();
      for (int j = 0; j < 8 && i + j < n; j++) {
        b[i + j] = (byte) (v >>> (8 * j));
      }
    }
    return b;
  }

  /** An independent generator seeded from this one. */
  SplitMix64 split() {
    return new SplitMix64(nextLong());
  }
}
