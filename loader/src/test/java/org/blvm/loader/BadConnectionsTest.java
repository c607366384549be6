package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sliding minute of bad connections, on a controlled clock. */
class BadConnectionsTest {
  private long now = TimeUnit.HOURS.toNanos(5);
  private final BadConnections bad =
      new BadConnections("m", System.getLogger("test.bad"), 3, () -> now);

  @Test
  void moreThanTheLimitWithinAMinute_tripsOnce() {
    assertNull(bad.record("x"));
    assertNull(bad.record("x"));
    assertNull(bad.record("x"));
    assertNotNull(bad.record("x"));
    assertNull(bad.record("x"), "reported once");
  }

  @Test
  void theLimitSpreadOverMoreThanAMinute_neverTrips() {
    for (int i = 0; i < 20; i++) {
      assertNull(bad.record("x"), "connection " + i);
      now += TimeUnit.SECONDS.toNanos(21); // at most three within any 60 s
    }
  }

  @Test
  void aBurstAfterAQuietHour_countsOnlyTheBurst() {
    assertNull(bad.record("x"));
    now += TimeUnit.HOURS.toNanos(1);
    assertNull(bad.record("x"));
    assertNull(bad.record("x"));
    assertNull(bad.record("x"));
    assertNotNull(bad.record("x"));
  }
}
