package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.sdk.NodeApiException;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;

/**
 * What a {@link Pool} answers for shares, submits, publishes and stores, with miners on real
 * loopback sockets and the node faked behind the SDK's interfaces ({@link FakePoolNode}):
 * docs/modules.md's {@code SubmitShares.Success} fields, blocks the node accepts or refuses, the
 * payloads of {@code stratum.mining_job_created} and {@code stratum.block_found}, and the counters
 * across a restart.
 */
class PoolSharesTest extends PoolTestCase {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A prev hash whose display order differs from its internal order. */
  private static final String PREV =
      "0000000000000000" + "0123456789abcdef".repeat(2) + "fedcba9876543210";

  @Test
  void submitSharesSuccess_eachAcceptedShare_itsChannelSequenceCountOneAndDifficulty()
      throws Exception {
    node.pool().newTemplate("test");
    TestMiner m = node.connect();
    m.setUp();
    TestMiner.Work plain = m.open(1, "plain", TestMiner.ANY_TARGET);
    BigInteger hard = BigInteger.ONE.shiftLeft(244).subtract(BigInteger.ONE);
    TestMiner.Work capped = m.open(2, "capped", hard);
    assertEquals(BigInteger.ONE.shiftLeft(248).subtract(BigInteger.ONE), plain.target());
    assertEquals(hard, capped.target(), "the miner's max_target is harder than the share target");

    List<Sv2Message> answers = new ArrayList<>();
    for (long seq : new long[] {5, 6, 7, 10}) {
      boolean meets = seq != 7; // 7 hashes above the target
      m.send(TestMiner.share(plain, seq, m.nonce(plain, plain.target(), meets)));
      answers.add(m.receive());
    }
    m.send(TestMiner.share(capped, 3, m.nonce(capped, hard, true)));
    answers.add(m.receive());

    long id = plain.channelId();
    assertEquals(
        List.of(
            new Sv2Message.SubmitSharesSuccess(id, 5, 1, 256),
            new Sv2Message.SubmitSharesSuccess(id, 6, 1, 256),
            new Sv2Message.SubmitSharesError(id, 7, "difficulty-too-low"),
            new Sv2Message.SubmitSharesSuccess(id, 10, 1, 256),
            new Sv2Message.SubmitSharesSuccess(capped.channelId(), 3, 1, 4096)),
        answers);
    assertEquals(List.of(), node.submitted, "no share was a block");
  }

  @Test
  void blockRefusedByTheNode_shareStaysAccepted_reasonLogged_nothingPublished() throws Exception {
    node.submitBlock = hex -> new Api.SubmitBlockResult(false, "bad-prevblk");

    Block b = blockShare();

    String hash = Job.hash(b.header()).displayHex();
    String log = node.awaitLog("block " + hash + " rejected by the node: bad-prevblk");
    assertTrue(log.startsWith("WARN "), log);
    assertEquals(1, node.submitted.size());
    assertEquals(List.of(), node.published("stratum.block_found"));
    assertFalse(node.apiCalls.contains("getChainTip"));

    node.restart();
    b.miner().assertClosedByPool();
    JsonNode state = state();
    assertEquals(1, state.get("shares_accepted").asLong());
    assertEquals(0, state.get("blocks_found").asLong());
    assertEquals(0, state.get("recent_blocks").size());
  }

  @Test
  void submitBlockFails_shareStaysAccepted_failureLogged() throws Exception {
    node.submitBlock =
        hex -> {
          throw new NodeApiException(
              "submit_block", ErrorValue.of(ErrorCode.UNAVAILABLE, "chain busy"));
        };

    Block b = blockShare();

    String hash = Job.hash(b.header()).displayHex();
    String log = node.awaitLog("block " + hash + " could not be submitted: ");
    assertTrue(log.startsWith("WARN ") && log.contains("chain busy"), log);
    assertEquals(List.of(), node.published("stratum.block_found"));
  }

  @Test
  void miningJobCreated_payloadAsDocumented_andLogged() throws Exception {
    Api.BlockTemplate g =
        ShareValidationTest.genesisTemplate(List.of("aa".repeat(32)), List.of("0100"));
    node.template =
        new Api.BlockTemplate(
            PREV,
            15,
            g.bits(),
            g.coinbaseValue(),
            g.txids(),
            g.version(),
            g.time(),
            g.minTime(),
            g.target(),
            g.coinbasePrefix(),
            g.coinbaseSuffix(),
            g.extranonceSize(),
            g.merklePath(),
            g.transactions());
    node.pool().newTemplate("test");
    node.miner("a");
    node.miner("b");

    node.pool().newTemplate("again");

    List<JsonNode> jobs = node.published("stratum.mining_job_created");
    assertEquals(2, jobs.size());
    JsonNode expected =
        JSON.readTree(
            "{\"job_id\":2,\"height\":15,\"prev_hash\":\""
                + PREV
                + "\",\"tx_count\":1,\"coinbase_value\":5000000000,\"target\":\"00000000ffff"
                + "0".repeat(52)
                + "\",\"difficulty\":1.5,\"network_hash_rate\":7.25,\"miners\":2}");
    assertEquals(normal(expected), normal(jobs.get(1)));
    assertEquals(0, jobs.get(0).get("miners").asInt());
    node.awaitLog("INFO job 2 height=15 prev=" + PREV + " txs=1 miners=2 difficulty=1.5 (again)");
  }

  @Test
  void blockFound_submittedPublishedLoggedAndStored() throws Exception {
    node.tip = new Api.ChainTip("cd".repeat(32), 8);

    Block b = blockShare();

    byte[] header = b.header();
    String hash = Job.hash(header).displayHex();
    node.awaitLog(
        "INFO block found height=7 hash="
            + hash
            + " job=1 tip="
            + "cd".repeat(32)
            + " tip_height=8");
    assertEquals(1, node.submitted.size());
    assertTrue(node.submitted.get(0).startsWith(HexFormat.of().formatHex(header) + "01"));
    assertEquals(
        List.of(
            normal(
                JSON.readTree(
                    "{\"hash\":\""
                        + hash
                        + "\",\"height\":7,\"job_id\":1,\"channel_id\":"
                        + b.channelId()
                        + ",\"tip\":\""
                        + "cd".repeat(32)
                        + "\"}"))),
        node.published("stratum.block_found").stream().map(PoolSharesTest::normal).toList());
    node.restart();
    assertEquals(List.of(hash), texts(state().get("recent_blocks")));
    assertEquals(1, state().get("blocks_found").asLong());
  }

  @Test
  void restart_jobIdsAndCountersGoOn() throws Exception {
    node.pool().newTemplate("test");
    TestMiner m = minerOnANewTemplate("a");
    m.shareAccepted(1);
    m.shareAccepted(2);
    TestMiner.Work w = m.work();
    m.send(TestMiner.share(w, 3, m.nonce(w, w.target(), false)));
    m.receive(Sv2Message.SubmitSharesError.class);
    node.template = FakePoolNode.easyTemplate(PREV, 7);
    node.pool().newTemplate("test"); // job 3, a new prev hash: its shares are blocks
    m.receive(Sv2Message.NewMiningJob.class);
    m.receive(Sv2Message.SetNewPrevHash.class);
    String first = m.shareAccepted(4);

    node.restart();

    m.assertClosedByPool();
    JsonNode s = state();
    assertEquals(4, s.get("next_job_id").asLong());
    assertEquals(3, s.get("shares_accepted").asLong());
    assertEquals(1, s.get("shares_rejected").asLong());
    assertEquals(1, s.get("blocks_found").asLong());
    assertEquals(List.of(first), texts(s.get("recent_blocks")));

    node.pool().newTemplate("after the restart");
    List<JsonNode> jobs = node.published("stratum.mining_job_created");
    assertEquals(4, jobs.get(jobs.size() - 1).get("job_id").asLong());
    TestMiner again = node.miner("a");
    assertEquals(4, again.work().jobId());
    again.shareAccepted(1);
    node.restart();
    s = state();
    assertEquals(5, s.get("next_job_id").asLong());
    assertEquals(4, s.get("shares_accepted").asLong());
    assertEquals(2, s.get("blocks_found").asLong());
    assertEquals(2, s.get("recent_blocks").size());
    assertEquals(first, s.get("recent_blocks").get(0).asText());
  }

  @Test
  void stateFile_storedAfterEachJobAndEachBlock_whileRunning() throws Exception {
    node.pool().newTemplate("test");
    node.pool().newTemplate("test");
    Poll.until(() -> stored("next_job_id") == 3, FakePoolNode.WAIT, "next_job_id 3 stored");

    blockShare(); // job 3, and a block

    Poll.until(() -> stored("blocks_found") == 1, FakePoolNode.WAIT, "blocks_found 1 stored");
    assertTrue(
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().equals("blvm-stratum-v2-state")),
        "the state thread");
  }

  /** A number in the state file as it is now; -1 while it cannot be read. */
  private long stored(String field) {
    try {
      return state().path(field).asLong(-1);
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void recentBlocks_theLast100Kept() throws Exception {
    node.close();
    List<String> stored = new ArrayList<>();
    StringBuilder doc =
        new StringBuilder("{\"next_job_id\":9,\"blocks_found\":100,\"recent_blocks\":[");
    for (int i = 0; i < 100; i++) {
      stored.add(String.format("%064x", i));
      doc.append(i == 0 ? "" : ",").append('"').append(stored.get(i)).append('"');
    }
    Files.writeString(tmp.resolve(StateStore.FILE), doc.append("]}"));
    node = new FakePoolNode(tmp, CONFIG);
    node.template = FakePoolNode.easyTemplate(PREV, 7);
    TestMiner m = minerOnANewTemplate("a");
    assertEquals(9, m.work().jobId());
    String found = m.shareAccepted(1);
    node.awaitLog("block found");

    node.restart();

    JsonNode s = state();
    assertEquals(101, s.get("blocks_found").asLong());
    List<String> expected = new ArrayList<>(stored.subList(1, 100));
    expected.add(found);
    assertEquals(expected, texts(s.get("recent_blocks")));
  }

  /** A share that was a block: its miner, its channel and its header. */
  private record Block(TestMiner miner, long channelId, byte[] header) {}

  /**
   * A miner on a template whose network target is {@code 2^255 − 1} (the channel's too) sends a
   * share that meets it, which the pool accepts with the share difficulty {@code (2^256 − 1) /
   * target}, 2.
   */
  private Block blockShare() throws Exception {
    node.template = FakePoolNode.easyTemplate(PREV, 7);
    TestMiner m = minerOnANewTemplate("a");
    TestMiner.Work w = m.work();
    assertEquals(
        new BigInteger(node.template.target(), 16), w.target(), "never harder than the network");
    long nonce = m.nonce(w, w.target(), true);
    m.send(TestMiner.share(w, 1, nonce));
    assertEquals(new Sv2Message.SubmitSharesSuccess(w.channelId(), 1, 1, 2), m.receive());
    return new Block(m, w.channelId(), w.header(nonce));
  }

  /** {@code n} as parsed from its text: numbers compare by value, fields in any order. */
  private static JsonNode normal(JsonNode n) {
    try {
      return JSON.readTree(JSON.writeValueAsString(n));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private JsonNode state() throws Exception {
    return JSON.readTree(Files.readString(tmp.resolve(StateStore.FILE)));
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
