package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** submit_block: a block mined from get_block_template by {@link TestMiner}, and every reject. */
class SubmitBlockTest {
  private static final HexFormat HEX = HexFormat.of();

  private SimulatedChain chain;
  private RecordingSink sink;
  private SimulationDriver driver;

  @BeforeEach
  void chain() {
    // no simulated blocks: only submitted ones; 20 blocks so BIP 34 pushes a byte
    chain = Sims.chain("block_interval_seconds = 0", "initial_blocks = 20");
    sink = new RecordingSink();
    driver = new SimulationDriver(chain, sink);
    driver.startup();
    sink.clear();
  }

  @Test
  void templateMinedByTheTestMiner_acceptedAndPublishedBeforeTheCallReturns() {
    for (int i = 0; i < 100; i++) {
      driver.step(); // fill the mempool
    }
    Api.BlockTemplate t = chain.getBlockTemplate();
    assertTrue(t.txids().size() >= 3, "template with transactions: " + t.txids());
    assertEquals(t.txids().size(), t.transactions().size());
    assertEquals(21, t.height());
    assertEquals(chain.getChainTip().hash(), t.prevHash());
    assertEquals(0x207fffffL, t.bits());
    assertEquals("7fffff" + "00".repeat(29), t.target());
    assertEquals(8, t.extranonceSize());
    long fees = 0;
    for (String txid : t.txids()) {
      fees += chain.getMempoolTransaction(txid).orElseThrow().feeSats();
    }
    assertEquals(5_000_000_000L + fees, t.coinbaseValue());
    sink.clear();

    String block = TestMiner.mine(t, 77);
    Api.SubmitBlockResult r = chain.submitBlock(block);

    assertEquals(new Api.SubmitBlockResult(true, null), r);
    String hash = TestMiner.hash(HEX.parseHex(block.substring(0, 160)));
    assertEquals(new Api.ChainTip(hash, 21), chain.getChainTip());
    Api.Block b = chain.getBlock(hash).orElseThrow();
    assertEquals(t.txids(), b.txids().subList(1, b.txids().size()));
    assertEquals(block.length() / 2, b.size());
    Api.Transaction cb = chain.getTransaction(b.txids().get(0)).orElseThrow();
    assertEquals(hash, cb.blockHash());
    assertEquals(t.coinbaseValue(), cb.outputs().get(0).amountSats());
    for (String txid : t.txids()) {
      assertTrue(chain.getMempoolTransaction(txid).isEmpty(), "still in the mempool: " + txid);
      assertEquals(hash, chain.getTransaction(txid).orElseThrow().blockHash());
    }
    assertEquals(1, chain.getMiningInfo().blocksSubmitted());
    // published on this thread, before submitBlock returned, in this order
    List<EventType> types = sink.types();
    assertEquals(
        List.of(
            EventType.BlockValidationStarted,
            EventType.BlockValidationCompleted,
            EventType.NewBlock),
        types.subList(0, 3));
    assertEquals(
        new EventPayloads.NewBlock(hash, 21, t.prevHash(), t.time(), 1 + t.txids().size()),
        sink.events.get(2).payload());
    assertEquals(t.txids().size(), sink.of(EventPayloads.MempoolTransactionRemoved.class).size());
    assertEquals(
        List.of(EventType.BlockTemplateUpdated, EventType.MiningJobCreated),
        types.subList(types.size() - 2, types.size()));
    assertNull(chain.inconsistency());

    assertEquals(new Api.SubmitBlockResult(false, "duplicate"), chain.submitBlock(block));
  }

  @Test
  void badBlocks_eachRejectedWithBitcoinCoresReason() {
    Api.BlockTemplate t = chain.getBlockTemplate();
    BigInteger target = new BigInteger(t.target(), 16);
    byte[] cb = TestMiner.coinbase(t, 1);
    byte[] root = TestMiner.foldPath(TestMiner.dsha(cb), t.merklePath());

    assertEquals("decode-failed", reason("00ff"));
    assertEquals("decode-failed", reason(TestMiner.mine(t, 1) + "00"));

    byte[] h = TestMiner.header(t.version(), t.prevHash(), root, t.time(), t.bits());
    TestMiner.grind(h, target, false);
    assertEquals("high-hash", reason(TestMiner.block(h, cb, List.of())));

    byte[] wrongRoot = TestMiner.dsha(new byte[] {1});
    assertEquals("bad-txnmrklroot", reason(mined(t.prevHash(), wrongRoot, t.time(), t.bits(), cb)));

    String unknownPrev = "ab".repeat(32);
    assertEquals("prev-blk-not-found", reason(mined(unknownPrev, root, t.time(), t.bits(), cb)));

    assertEquals("bad-diffbits", reason(mined(t.prevHash(), root, t.time(), 0x2000ffffL, cb)));
    assertEquals("time-too-old", reason(mined(t.prevHash(), root, t.minTime() - 1, t.bits(), cb)));
    assertEquals("time-too-new", reason(mined(t.prevHash(), root, t.time() + 7201, t.bits(), cb)));

    byte[] badHeight = coinbase(22, t.coinbaseValue(), 1);
    assertEquals("bad-cb-height", reason(minedTxs(t, List.of(badHeight))));
    byte[] tooMuch = coinbase(21, t.coinbaseValue() + 1, 1);
    String greedy = minedTxs(t, List.of(tooMuch));
    assertEquals("bad-cb-amount", reason(greedy));
    assertEquals("duplicate-invalid", reason(greedy));
    // a block on top of the invalid one
    byte[] next = coinbase(22, t.coinbaseValue(), 1);
    String greedyHash = TestMiner.hash(HEX.parseHex(greedy.substring(0, 160)));
    assertEquals(
        "bad-prevblk",
        reason(mined(greedyHash, merkleRoot(List.of(next)), t.time(), t.bits(), next)));

    byte[] spendsNothing = spend("cd".repeat(32), 0, 10_000);
    byte[] good = coinbase(21, t.coinbaseValue(), 2);
    assertEquals(
        "bad-txns-inputs-missingorspent", reason(minedTxs(t, List.of(good, spendsNothing))));
    assertEquals("bad-cb-missing", reason(minedTxs(t, List.of(spendsNothing))));
    assertEquals("bad-cb-multiple", reason(minedTxs(t, List.of(good, coinbase(21, 1000, 3)))));
    assertEquals(
        "bad-txns-duplicate", reason(minedTxs(t, List.of(good, spendsNothing, spendsNothing))));

    // every rejection of a block whose parent is known was announced as invalid, with its reason
    Set<String> announced = new java.util.HashSet<>();
    for (EventPayloads.BlockValidationCompleted c :
        sink.of(EventPayloads.BlockValidationCompleted.class)) {
      assertFalse(c.valid());
      announced.add(c.reason());
    }
    assertEquals(
        Set.of(
            "high-hash",
            "bad-txnmrklroot",
            "bad-diffbits",
            "time-too-old",
            "time-too-new",
            "bad-cb-height",
            "bad-cb-amount",
            "bad-txns-inputs-missingorspent",
            "bad-cb-missing",
            "bad-cb-multiple",
            "bad-txns-duplicate"),
        announced);
    assertEquals(List.of(), sink.of(EventPayloads.NewBlock.class));
    assertEquals(20, chain.getChainTip().height());
    assertEquals(0, chain.getMiningInfo().blocksSubmitted());
    assertNull(chain.inconsistency());
  }

  @Test
  void competingBranch_storedThenReorganizedWhenLonger() {
    Api.ChainTip oldTip = chain.getChainTip();
    Api.BlockHeader tip = chain.getBlockHeader(oldTip.hash()).orElseThrow();
    String fork = tip.prevHash();
    long time = chain.getBlockTemplate().time();
    long subsidy = 5_000_000_000L;

    byte[] cb1 = coinbase(20, subsidy, 9);
    String side1 = mined(fork, merkleRoot(List.of(cb1)), time, 0x207fffffL, cb1);
    assertEquals(new Api.SubmitBlockResult(true, "inconclusive"), chain.submitBlock(side1));
    assertEquals(oldTip, chain.getChainTip());
    assertEquals(List.of(), sink.events);

    String side1Hash = TestMiner.hash(HEX.parseHex(side1.substring(0, 160)));
    byte[] cb2 = coinbase(21, subsidy, 9);
    String side2 = mined(side1Hash, merkleRoot(List.of(cb2)), time, 0x207fffffL, cb2);
    assertEquals(new Api.SubmitBlockResult(true, null), chain.submitBlock(side2));
    String side2Hash = TestMiner.hash(HEX.parseHex(side2.substring(0, 160)));

    assertEquals(new Api.ChainTip(side2Hash, 21), chain.getChainTip());
    assertEquals(side1Hash, chain.getBlockHash(20).orElseThrow());
    assertEquals(
        List.of(
            new EventPayloads.BlockDisconnected(oldTip.hash(), 20),
            new EventPayloads.ChainReorg(oldTip.hash(), side2Hash, fork, 1)),
        List.of(sink.events.get(0).payload(), sink.events.get(1).payload()));
    List<EventPayloads.NewBlock> blocks = sink.of(EventPayloads.NewBlock.class);
    assertEquals(List.of(side1Hash, side2Hash), blocks.stream().map(b -> b.hash()).toList());
    // the old tip is still known (a side branch now), its coinbase is no longer a UTXO
    assertTrue(chain.getBlock(oldTip.hash()).isPresent());
    String oldCoinbase = chain.getBlock(oldTip.hash()).orElseThrow().txids().get(0);
    assertTrue(chain.getUtxo(oldCoinbase, 0).isEmpty());
    assertEquals(2, chain.getMiningInfo().blocksSubmitted());
    assertNull(chain.inconsistency());
  }

  private String reason(String blockHex) {
    Api.SubmitBlockResult r = chain.submitBlock(blockHex);
    assertFalse(r.accepted(), r.toString());
    return r.reason();
  }

  /** A block with one transaction (the coinbase), the given root, mined to the regtest target. */
  private static String mined(String prev, byte[] root, long time, long bits, byte[] coinbase) {
    byte[] h = TestMiner.header(0x20000000, prev, root, time, bits);
    TestMiner.grind(h, target(bits), true);
    return TestMiner.block(h, coinbase, List.of());
  }

  /** A block on the template's parent holding {@code txs} (the first in the coinbase's place). */
  private static String minedTxs(Api.BlockTemplate t, List<byte[]> txs) {
    byte[] h = TestMiner.header(t.version(), t.prevHash(), merkleRoot(txs), t.time(), t.bits());
    TestMiner.grind(h, new BigInteger(t.target(), 16), true);
    List<String> rest = new ArrayList<>();
    for (byte[] tx : txs.subList(1, txs.size())) {
      rest.add(HEX.formatHex(tx));
    }
    return TestMiner.block(h, txs.get(0), rest);
  }

  private static BigInteger target(long bits) {
    return BigInteger.valueOf(bits & 0x7fffff).shiftLeft(8 * ((int) (bits >>> 24) - 3));
  }

  private static byte[] merkleRoot(List<byte[]> txs) {
    List<byte[]> level = new ArrayList<>();
    for (byte[] tx : txs) {
      level.add(TestMiner.dsha(tx));
    }
    while (level.size() > 1) {
      List<byte[]> next = new ArrayList<>();
      for (int i = 0; i < level.size(); i += 2) {
        byte[] right = i + 1 < level.size() ? level.get(i + 1) : level.get(i);
        next.add(TestMiner.dsha(TestMiner.concat(level.get(i), right)));
      }
      level = next;
    }
    return level.get(0);
  }

  /** A coinbase per BIP 34: the height push, 8 extranonce bytes, one P2WPKH output. */
  static byte[] coinbase(long height, long value, long extranonce) {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    if (height >= 1 && height <= 16) {
      s.write(0x50 + (int) height);
    } else {
      ByteArrayOutputStream num = new ByteArrayOutputStream();
      for (long v = height; v > 0; v >>>= 8) {
        num.write((int) (v & 0xff));
      }
      byte[] n = num.toByteArray();
      if ((n[n.length - 1] & 0x80) != 0) {
        num.write(0);
        n = num.toByteArray();
      }
      s.write(n.length);
      s.writeBytes(n);
    }
    for (int i = 0; i < 8; i++) {
      s.write((int) (extranonce >>> (8 * i)) & 0xff);
    }
    return RawTx.build(
        List.of("00".repeat(32)),
        0xffffffffL,
        s.toByteArray(),
        0xffffffffL,
        value,
        RawTx.p2wpkh(0x11));
  }

  /** A transaction spending {@code txid:vout} (display order) to one P2WPKH output. */
  static byte[] spend(String txid, long vout, long value) {
    return RawTx.build(List.of(txid), vout, new byte[0], 0xfffffffdL, value, RawTx.p2wpkh(0x22));
  }
}
