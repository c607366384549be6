package org.blvm.modules.stratum;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test with a fresh {@link FakePoolNode} each: {@code max_connections} 4, {@code max_channels} 8,
 * {@code share_zero_bits} 8 (share target {@code 2^248 − 1}), its state in the test's own
 * directory.
 */
@Timeout(60)
abstract class PoolTestCase {
  static final StratumConfig CONFIG = new StratumConfig("127.0.0.1:0", 4, 8, 8);

  @TempDir Path tmp;

  FakePoolNode node;

  @BeforeEach
  void startNode() throws Exception {
    node = new FakePoolNode(tmp, CONFIG);
  }

  @AfterEach
  void closeNode() throws Exception {
    node.close();
  }

  /** A new template, then a miner connected, set up and with one channel open on its job. */
  TestMiner minerOnANewTemplate(String user) throws Exception {
    node.pool().newTemplate("test");
    return node.miner(user);
  }
}
