package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GovernanceConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void read_empty_defaults() throws Exception {
    GovernanceConfig c = GovernanceConfig.read(JSON.createObjectNode());
    assertEquals(10, c.statusEveryBlocks());
    assertEquals(1000, c.maxOutbox());
    assertEquals(Duration.ofMillis(500), c.backoffInitial());
    assertEquals(Duration.ofSeconds(60), c.backoffMax());
    assertEquals(Duration.ofSeconds(10), c.timeout());
    assertEquals("", c.caPem());
  }

  @Test
  void read_unknownKeyAndOutOfRange_everyProblemNamed() {
    GovernanceConfig.InvalidConfigException e =
        assertThrows(
            GovernanceConfig.InvalidConfigException.class,
            () ->
                GovernanceConfig.read(
                    JSON.readTree(
                        "{\"webhook_url\":\"x\",\"max_outbox\":0,\"backoff_initial_ms\":5000,"
                            + "\"backoff_max_ms\":1000,\"ca_pem\":\"nope\"}")));
    assertTrue(e.getMessage().contains("unknown key \"webhook_url\""), e.getMessage());
    assertTrue(
        e.getMessage().contains("max_outbox must be an integer from 1 to 100000"), e.getMessage());
    assertTrue(e.getMessage().contains("backoff_max_ms (1000) must be at least"), e.getMessage());
    assertTrue(e.getMessage().contains("ca_pem"), e.getMessage());
  }

  @Test
  void read_caPemWithoutAParsableCertificate_refused() {
    GovernanceConfig.InvalidConfigException e =
        assertThrows(
            GovernanceConfig.InvalidConfigException.class,
            () ->
                GovernanceConfig.read(
                    JSON.readTree(
                        "{\"ca_pem\":\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"}")));
    assertTrue(e.getMessage().contains("ca_pem holds no usable certificate"), e.getMessage());
  }
}
