package org.blvm.bench;

/**
 * Checks that a subscriber's event sequence numbers run 1, 2, 3 … with none missing, repeated or
 * out of order. A number beyond the next one counts the skipped ones as lost; a number at or below
 * the last one counts as reordered. Not thread-safe: one per event thread.
 */
final class SequenceCheck {
  private long last;
  private long received;
  private long lost;
  private long reordered;
  private String firstViolation;

  /** Records one event; false when it broke the order. */
  boolean seen(long seq) {
    received++;
    if (seq == last + 1) {
      last = seq;
      return true;
    }
    if (seq > last + 1) {
      lost += seq - last - 1;
      violation("expected seq " + (last + 1) + ", got " + seq);
      last = seq;
    } else {
      reordered++;
      violation("seq " + seq + " arrived after " + last);
    }
    return false;
  }

  private void violation(String what) {
    if (firstViolation == null) {
      firstViolation = what + " (event " + received + ")";
    }
  }

  long received() {
    return received;
  }

  long lost() {
    return lost;
  }

  long reordered() {
    return reordered;
  }

  /** Lost plus reordered events: 0 while every event came once and in order. */
  long violations() {
    return lost + reordered;
  }

  /** The first violation, in words, or null. */
  String firstViolation() {
    return firstViolation;
  }
}
