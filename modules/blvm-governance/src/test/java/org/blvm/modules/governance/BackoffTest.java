package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
  /** A clock the test moves. */
  static final class TestClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private final TestClock clock = new TestClock();

  @Test
  void failed_lowestJitter_halfOfADoublingCapBoundedByMax() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), clock, () -> 0.0);
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      delays.add(b.failed().toMillis());
    }
    assertEquals(List.of(50L, 100L, 200L, 400L, 500L, 500L, 500L), delays);
    assertEquals(7, b.failures());
  }

  @Test
  void failed_highestJitter_theCapNeverMore() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), clock, () -> 0.9999);
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      delays.add(b.failed().toMillis());
    }
    assertEquals(List.of(99L, 199L, 399L, 799L, 999L, 999L), delays);
  }

  @Test
  void failed_manyTimes_noOverflowStaysAtMax() {
    Backoff b = new Backoff(Duration.ofMillis(10), Duration.ofHours(1), clock, () -> 0.5);
    Duration last = Duration.ZERO;
    for (int i = 0; i < 200; i++) {
      last = b.failed();
    }
    assertTrue(last.compareTo(Duration.ofMinutes(30)) >= 0, last.toString());
    assertTrue(last.compareTo(Duration.ofHours(1)) <= 0, last.toString());
  }

  @Test
  void remaining_followsTheClock_zeroOnceTheDelayPassed() {
    Backoff b = new Backoff(Duration.ofMillis(400), Duration.ofSeconds(10), clock, () -> 0.0);
    assertEquals(Duration.ZERO, b.remaining());
    assertEquals(Duration.ofMillis(200), b.failed());
    assertEquals(Duration.ofMillis(200), b.remaining());
    clock.now = clock.now.plusMillis(150);
    assertEquals(Duration.ofMillis(50), b.remaining());
    clock.now = clock.now.plusMillis(50);
    assertEquals(Duration.ZERO, b.remaining());
  }

  @Test
  void succeeded_startsOver_andNothingWaits() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), clock, () -> 0.0);
    b.failed();
    b.failed();
    b.failed();
    b.succeeded();
    assertEquals(0, b.failures());
    assertEquals(Duration.ZERO, b.remaining());
    assertEquals(Duration.ofMillis(50), b.failed());
  }

  @Test
  void new_maxBelowInitial_refused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), clock, () -> 0.0));
  }
}
