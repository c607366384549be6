package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The [simulation] section: defaults, values, and strict errors that name the key. */
class SimulationSettingsTest {
  @TempDir Path dir;

  @Test
  void parse_noSection_defaults() throws Exception {
    assertSame(
        SimulationSettings.DEFAULTS,
        SimulationSettings.parse("node.toml", "[rpc]\nport = 8332\nunknown = true\n"));
    SimulationSettings d = SimulationSettings.DEFAULTS;
    assertEquals(1, d.seed());
    assertEquals(100, d.stepMillis());
    assertEquals(0x207fffffL, d.targetBits());
    assertEquals(10.0, d.blockIntervalSeconds());
    assertEquals("regtest", d.network());
  }

  @Test
  void parse_values_hexIntegersAndIntegersForNumbers() throws Exception {
    SimulationSettings s =
        SimulationSettings.parse(
            "node.toml",
            String.join(
                "\n",
                "[other]",
                "x = 1",
                "[simulation]",
                "seed = -7",
                "target_bits = 0x1f00ffff",
                "block_interval_seconds = 30",
                "reorg_probability = 0.5",
                "network = \"signet\"",
                "max_peers = 4",
                "initial_peers = 4",
                ""));
    assertEquals(-7, s.seed());
    assertEquals(0x1f00ffffL, s.targetBits());
    assertEquals(30.0, s.blockIntervalSeconds());
    assertEquals(0.5, s.reorgProbability());
    assertEquals("tb", s.addressPrefix());
    assertEquals(38333, s.defaultPort());
    assertEquals(SimulationSettings.DEFAULTS.messagesPerMinute(), s.messagesPerMinute());
  }

  @Test
  void parse_badValues_everyProblemNamedByItsKey() {
    SimulationConfigException e =
        assertThrows(
            SimulationConfigException.class,
            () ->
                SimulationSettings.parse(
                    "node.toml",
                    String.join(
                        "\n",
                        "[simulation]",
                        "seed = \"one\"",
                        "step_millis = 1.5",
                        "blocks_per_hour = 6",
                        "reorg_probability = true",
                        "")));
    assertEquals("node.toml", e.source());
    List<String> keys = new ArrayList<>();
    for (SimulationConfigException.Problem p : e.problems()) {
      keys.add(p.key());
    }
    assertEquals(
        List.of(
            "simulation.seed",
            "simulation.step_millis",
            "simulation.blocks_per_hour",
            "simulation.reorg_probability"),
        keys);
    assertEquals("must be an integer, found a string", e.problems().get(0).message());
    assertEquals("must be an integer, found a float", e.problems().get(1).message());
    assertTrue(e.problems().get(2).message().startsWith("unknown key; allowed here: seed, "));
    assertEquals("must be a number, found a boolean", e.problems().get(3).message());
    assertTrue(
        e.getMessage().contains("[1 of 4] simulation.seed: must be an integer"), e.getMessage());
  }

  @Test
  void parse_outOfRange_keyRangeAndValue() {
    assertEquals(
        "simulation.reorg_probability: must be a number in 0..1, found 1.5",
        only("reorg_probability = 1.5"));
    assertEquals("simulation.step_millis: must be in 10..60000, found 5", only("step_millis = 5"));
    assertEquals(
        "simulation.network: must be one of mainnet, regtest, signet, testnet, found \"moon\"",
        only("network = \"moon\""));
    assertTrue(only("target_bits = 0x1d00ffff").contains("too hard"));
    assertTrue(only("target_bits = 0x04923456").contains("not a valid compact target"));
    assertEquals(
        "simulation.min_peers: must be at most max_peers (3), found 4",
        only("max_peers = 3\nmin_peers = 4\ninitial_peers = 3"));
    assertEquals(
        "simulation.block_interval_seconds: must be 0 (no simulated blocks) or at least 0.1,"
            + " found 0.05",
        only("block_interval_seconds = 0.05"));
    assertTrue(only("seed = 99999999999999999999").contains("an integer beyond 64 bits"));
  }

  @Test
  void parse_notATableOrNotToml_refused() {
    SimulationConfigException notTable =
        assertThrows(
            SimulationConfigException.class,
            () -> SimulationSettings.parse("n", "simulation = 3\n"));
    assertEquals("simulation", notTable.problems().get(0).key());
    SimulationConfigException dup =
        assertThrows(
            SimulationConfigException.class,
            () -> SimulationSettings.parse("n", "[simulation]\nseed = 1\nseed = 2\n"));
    assertEquals(3, dup.problems().get(0).line());
    assertTrue(dup.problems().get(0).message().startsWith("not valid TOML"), dup.getMessage());
    assertTrue(!dup.getMessage().contains("seed = 2"), "content is never quoted");
  }

  @Test
  void read_file_andMissingFile() throws Exception {
    Path f = dir.resolve("node.toml");
    Files.writeString(f, "[simulation]\nseed = 5\n");
    assertEquals(5, SimulationSettings.read(f).seed());
    SimulationConfigException e =
        assertThrows(
            SimulationConfigException.class,
            () -> SimulationSettings.read(dir.resolve("absent.toml")));
    assertEquals("the file does not exist", e.problems().get(0).message());
  }

  @Test
  void constructor_checksToo() {
    SimulationSettings d = SimulationSettings.DEFAULTS;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new SimulationSettings(
                    d.seed(),
                    0,
                    d.startTime(),
                    d.network(),
                    d.targetBits(),
                    d.initialBlocks(),
                    d.blockIntervalSeconds(),
                    d.reorgProbability(),
                    d.maxReorgDepth(),
                    d.transactionsPerMinute(),
                    d.replacementProbability(),
                    d.feeChangesPerMinute(),
                    d.peerChangesPerMinute(),
                    d.messagesPerMinute(),
                    d.paymentRequestsPerMinute(),
                    d.paymentPaidProbability(),
                    d.paymentDelaySeconds(),
                    d.paymentExpirySeconds(),
                    d.paymentConfirmations(),
                    d.governanceEventsPerMinute(),
                    d.sharesPerMinute(),
                    d.templateIntervalSeconds(),
                    d.maxBlockTransactions(),
                    d.maxMempoolTransactions(),
                    d.initialPeers(),
                    d.minPeers(),
                    d.maxPeers(),
                    d.maxPendingPayments(),
                    d.keepBlockBodies(),
                    d.meshPeers()));
    assertTrue(e.getMessage().contains("simulation.step_millis: must be in 10..60000, found 0"));
  }

  @Test
  void keys_areTheComponentsInSnakeCase() {
    List<String> components = new ArrayList<>();
    for (var rc : SimulationSettings.class.getRecordComponents()) {
      components.add(
          rc.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT));
    }
    assertEquals(components, SimulationSettings.names());
  }

  private static String only(String lines) {
    SimulationConfigException e =
        assertThrows(
            SimulationConfigException.class,
            () -> SimulationSettings.parse("n", "[simulation]\n" + lines + "\n"));
    assertEquals(1, e.problems().size(), e.getMessage());
    return e.problems().get(0).toString();
  }
}
