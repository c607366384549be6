package org.blvm.node.admin;

/**
 * A token bucket: {@code perSecond} requests a second on average, {@code burst} at once. Used by
 * one connection thread only.
 */
final class RequestRate {
  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;

  RequestRate(double perSecond, int burst, long now) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token; false when there is none. */
  boolean tryTake(long now) {
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
