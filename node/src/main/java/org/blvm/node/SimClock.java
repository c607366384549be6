package org.blvm.node;

/**
 * The simulated clock in Unix milliseconds. It only moves forward, except while the chain lays out
 * its initial blocks in the past ({@link #set}). Not thread-safe: the chain's lock guards it.
 */
final class SimClock {
  private long millis;

  SimClock(long millis) {
    this.millis = millis;
  }

  long millis() {
    return millis;
  }

  long seconds() {
    return Math.floorDiv(millis, 1000);
  }

  /** Moves the clock to {@code to} unless it is already later. */
  void advanceTo(long to) {
    millis = Math.max(millis, to);
  }

  /** Sets the clock, backwards too (the initial blocks' times). */
  void set(long to) {
    millis = to;
  }
}
