package org.blvm.modules.lightning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

final class LightningConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LightningConfig read(String json) throws Exception {
    return LightningConfig.read(JSON.readTree(json));
  }

  @Test
  void read_empty_defaults() throws Exception {
    assertEquals(new LightningConfig("onchain", 1, 6, 1000), read("{}"));
  }

  @Test
  void read_operatorValues_used() throws Exception {
    assertEquals(
        new LightningConfig("onchain", 3, 10, 5),
        read(
            "{\"provider\":\"onchain\",\"confirmations\":3,\"final_depth\":10,\"max_payments\":5}"));
  }

  @Test
  void read_badValues_everyProblemNamed() {
    LightningConfig.InvalidConfigException e =
        assertThrows(
            LightningConfig.InvalidConfigException.class,
            () -> read("{\"provider\":\"lnd\",\"confirmations\":0,\"colour\":1}"));
    assertTrue(e.getMessage().contains("provider \"lnd\" is not available"), e.getMessage());
    assertTrue(e.getMessage().contains("confirmations must be an integer from 1 to 100"));
    assertTrue(e.getMessage().contains("unknown key \"colour\""), e.getMessage());
  }

  @Test
  void read_finalDepthBelowConfirmations_refused() {
    LightningConfig.InvalidConfigException e =
        assertThrows(
            LightningConfig.InvalidConfigException.class,
            () -> read("{\"confirmations\":4,\"final_depth\":2}"));
    assertEquals("final_depth (2) must be at least confirmations (4)", e.getMessage());
  }
}
