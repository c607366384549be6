package org.blvm.policy;

/**
 * When the loader restarts a module that ended: {@code mode}, at most {@code maxRestarts} within
 * {@code windowSeconds}, with exponential backoff from {@code backoffInitialMs} to {@code
 * backoffMaxMs}.
 */
public record RestartRule(
    Mode mode, int maxRestarts, int windowSeconds, int backoffInitialMs, int backoffMaxMs) {
  /** What a module gets when the policy says nothing. */
  public static final RestartRule DEFAULT = new RestartRule(Mode.ON_FAILURE, 5, 600, 1000, 60_000);

  /** {@code never | on_failure | always}. */
  public enum Mode {
    NEVER,
    ON_FAILURE,
    ALWAYS
  }
}
