package org.blvm.loader;

/**
 * A source of monotonic nanoseconds, injected where the loader measures elapsed time (restart
 * windows, rate limits, debounce), so tests can move time instead of sleeping.
 */
@FunctionalInterface
interface Ticker {
  /** Nanoseconds from an arbitrary origin; only differences mean anything. */
  long nanoTime();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
