package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class StratumConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void read_defaults() throws Exception {
    StratumConfig c = StratumConfig.read(JSON.readTree("{\"listen\": \"0.0.0.0:3333\"}"));
    assertEquals(new StratumConfig("0.0.0.0:3333", 32, 8, 8), c);
    assertEquals(BigInteger.ONE.shiftLeft(248).subtract(BigInteger.ONE), c.shareTarget());
  }

  @Test
  void read_everyProblem_listedTogether() throws Exception {
    StratumConfig.InvalidConfigException e =
        assertThrows(
            StratumConfig.InvalidConfigException.class,
            () ->
                StratumConfig.read(
                    JSON.readTree(
                        "{\"listen\": \"pool:3333\", \"max_connections\": 0,"
                            + " \"share_zero_bits\": 65, \"colour\": 1}")));
    String m = e.getMessage();
    assertTrue(m.contains("unknown key \"colour\""), m);
    assertTrue(m.contains("listen must be \"ip:port\""), m);
    assertTrue(m.contains("max_connections must be an integer from 1 to 1024, found 0"), m);
    assertTrue(m.contains("share_zero_bits must be an integer from 0 to 64, found 65"), m);
  }

  @Test
  void read_noListen_refused() {
    StratumConfig.InvalidConfigException e =
        assertThrows(
            StratumConfig.InvalidConfigException.class,
            () -> StratumConfig.read(JSON.readTree("{}")));
    assertTrue(e.getMessage().contains("listen is missing"), e.getMessage());
  }
}
