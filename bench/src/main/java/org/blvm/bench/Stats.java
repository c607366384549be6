package org.blvm.bench;

import java.util.Arrays;

/** Percentiles of a set of latency samples in nanoseconds. */
final class Stats {
  private final long[] sorted;

  Stats(long[] samples) {
    sorted = samples.clone();
    Arrays.sort(sorted);
  }

  double maxMicros() {
    return sorted[sorted.length - 1] / 1000.0;
  }

  double percentileMicros(double p) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1000.0;
  }
}
