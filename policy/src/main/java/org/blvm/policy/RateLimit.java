package org.blvm.policy;

/**
 * How many NodeAPI requests a module may make: a token bucket refilled at {@code requestsPerSecond}
 * holding at most {@code burst} tokens. {@code requestsPerSecond == 0} means unlimited.
 */
public record RateLimit(int requestsPerSecond, int burst) {
  /** What a module gets when the policy says nothing. */
  public static final RateLimit DEFAULT = new RateLimit(1000, 2000);

  /** No limit (used by {@link Policy#trusting}). */
  public static final RateLimit UNLIMITED = new RateLimit(0, 0);

  public RateLimit {
    if (requestsPerSecond < 0 || burst < 0 || (requestsPerSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException(
          "rate limit needs requests_per_second >= 0 and burst >= 1, found "
              + requestsPerSecond
              + " and "
              + burst);
    }
  }

  public boolean unlimited() {
    return requestsPerSecond == 0;
  }
}
