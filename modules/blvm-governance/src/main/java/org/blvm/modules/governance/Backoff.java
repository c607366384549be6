package org.blvm.modules.governance;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * When to try the oldest notification again: after the n-th failure in a row, a delay drawn
 * uniformly from [cap/2, cap] with {@code cap = min(max, initial × 2^(n−1))} (exponential, bounded,
 * jittered so that many nodes do not retry in step). A success starts over. Time and randomness are
 * injected. Used by one thread.
 */
final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final Clock clock;
  private final DoubleSupplier random;
  private int failures;
  private Instant notBefore = Instant.MIN;

  Backoff(Duration initial, Duration max, Clock clock, DoubleSupplier random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max");
    }
    this.initial = initial;
    this.max = max;
    this.clock = clock;
    this.random = random;
  }

  /** Failures in a row since the last success. */
  int failures() {
    return failures;
  }

  /** Records a failed attempt; returns the delay before the next one. */
  Duration failed() {
    failures++;
    long cap = capOf(failures);
    long delay = cap / 2 + (long) (random.getAsDouble() * (cap - cap / 2));
    Duration d = Duration.ofMillis(Math.min(cap, delay));
    notBefore = clock.instant().plus(d);
    return d;
  }

  private long capOf(int n) {
    long ms = initial.toMillis();
    for (int i = 1; i < n && ms < max.toMillis(); i++) {
      ms *= 2;
    }
    return Math.min(ms, max.toMillis());
  }

  /** Records a success: the next failure waits {@code initial} again, and nothing waits now. */
  void succeeded() {
    failures = 0;
    notBefore = Instant.MIN;
  }

  /** How long until the next attempt may start (zero when it may start now). */
  Duration remaining() {
    Instant now = clock.instant();
    return now.isBefore(notBefore) ? Duration.between(now, notBefore) : Duration.ZERO;
  }
}
