package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import org.blvm.policy.RateLimit;

/**
 * A token bucket: {@code burst} tokens at most, refilled continuously at {@code perSecond}. Not
 * contended: each module's bucket is used by that module's reader thread.
 */
final class TokenBucket {
  private final double perNano;
  private final double capacity;

  @GuardedBy("this")
  private double tokens;

  @GuardedBy("this")
  private long last;

  TokenBucket(int perSecond, int burst, long nowNanos) {
    this.perNano = perSecond / 1e9;
    this.capacity = burst;
    this.tokens = burst;
    this.last = nowNanos;
  }

  /** The bucket for a policy rate limit, full at {@code nowNanos}, or null when it is unlimited. */
  static TokenBucket of(RateLimit limit, long nowNanos) {
    return limit.unlimited()
        ? null
        : new TokenBucket(limit.requestsPerSecond(), limit.burst(), nowNanos);
  }

  synchronized boolean tryTake(long nowNanos) {
    long elapsed = nowNanos - last;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * perNano);
      last = nowNanos;
    }
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
