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
