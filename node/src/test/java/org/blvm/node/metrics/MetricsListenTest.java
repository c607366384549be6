package org.blvm.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blvm.node.metrics.MetricsEndpoint.MetricsListen;
import org.junit.jupiter.api.Test;

/** {@code --metrics-listen}: loopback by default, anything else only with the explicit flag. */
class MetricsListenTest {
  @Test
  void parse_loopbackAddresses_accepted() {
    assertEquals("127.0.0.1:9464", MetricsListen.parse("127.0.0.1:9464", false).toString());
    assertEquals(0, MetricsListen.parse("[::1]:0", false).port());
    assertTrue(MetricsListen.parse("[::1]:0", false).address().isLoopbackAddress());
    assertTrue(MetricsListen.parse("localhost:1", false).address().isLoopbackAddress());
  }

  @Test
  void parse_nonLoopback_refusedNamingTheFlag_acceptedWithIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> MetricsListen.parse("0.0.0.0:9464", false));
    assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    assertTrue(e.getMessage().contains("--metrics-allow-remote"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> MetricsListen.parse("[::]:9464", false));
    assertEquals("0.0.0.0:9464", MetricsListen.parse("0.0.0.0:9464", true).toString());
  }

  @Test
  void parse_malformed_refusedNamingTheValue() {
    for (String bad :
        new String[] {"9464", ":9464", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> MetricsListen.parse(bad, false), bad);
      assertTrue(e.getMessage().startsWith("--metrics-listen " + bad + ":"), e.getMessage());
    }
  }
}
