package org.blvm.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests without a fixed sleep: check a condition until it holds or a deadline passes.
 */
public final class Poll {
  /** Time between two checks. */
  private static final long INTERVAL_MS = 5;

  private Poll() {}

  /** A condition that may throw: for {@link #holds}. */
  @FunctionalInterface
  public interface Check {
    boolean test() throws Exception;
  }

  /**
   * {@code c} as a condition for {@link #until}: false while it throws an exception (a log not
   * written yet, a status call the node is not ready to answer), so only the deadline ends the
   * wait.
   */
  public static BooleanSupplier holds(Check c) {
    return () -> {
      try {
        return c.test();
      } catch (Exception e) {
        return false;
      }
    };
  }

  /**
   * Returns as soon as {@code condition} holds.
   *
   * @throws AssertionError naming {@code what} when it still does not hold after {@code timeout}
   */
  public static void until(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "timed out after " + timeout.toMillis() + " ms waiting for: " + what);
      }
      Thread.sleep(INTERVAL_MS);
    }
  }
}
