package org.blvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SequenceCheckTest {
  private static SequenceCheck feed(long... seqs) {
    SequenceCheck c = new SequenceCheck();
    for (long s : seqs) {
      c.seen(s);
    }
    return c;
  }

  @Test
  void inOrderPasses() {
    SequenceCheck c = feed(1, 2, 3, 4, 5);
    assertEquals(5, c.received());
    assertEquals(0, c.violations());
    assertNull(c.firstViolation());
  }

  @Test
  void aGapCountsTheMissingEventsAsLost() {
    SequenceCheck c = new SequenceCheck();
    assertTrue(c.seen(1));
    assertTrue(c.seen(2));
    assertFalse(c.seen(5));
    assertTrue(c.seen(6));
    assertEquals(2, c.lost());
    assertEquals(0, c.reordered());
    assertEquals("expected seq 3, got 5 (event 3)", c.firstViolation());
  }

  @Test
  void aSwapFails() {
    SequenceCheck c = feed(1, 3, 2, 4);
    assertTrue(c.violations() > 0);
    assertEquals(1, c.reordered());
    assertEquals("expected seq 2, got 3 (event 2)", c.firstViolation());
  }

  @Test
  void aRepeatFails() {
    SequenceCheck c = feed(1, 2, 2, 3);
    assertEquals(1, c.reordered());
    assertEquals(0, c.lost());
    assertEquals("seq 2 arrived after 2 (event 3)", c.firstViolation());
  }

  @Test
  void aLostFirstEventFails() {
    SequenceCheck c = feed(2, 3);
    assertEquals(1, c.lost());
  }
}
