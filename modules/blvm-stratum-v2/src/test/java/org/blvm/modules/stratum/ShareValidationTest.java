package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import org.blvm.protocol.Api;
import org.junit.jupiter.api.Test;

/**
 * Shares checked against Bitcoin's genesis block, whose header hash and merkle root are known: the
 * genesis coinbase split around 8 of its script bytes is a template with an 8-byte extranonce, so a
 * channel whose extranonce prefix is those bytes must rebuild the genesis header exactly.
 */
class ShareValidationTest {
  private static final HexFormat HEX = HexFormat.of();
  static final String GENESIS_HASH =
      "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
  static final String GENESIS_MERKLE_ROOT =
      "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
  static final String GENESIS_HEADER =
      "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
          + "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";
  static final String COINBASE_PREFIX =
      "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff"
          + "ff001d";
  static final String EXTRANONCE = "0104455468652054";
  static final String COINBASE_SUFFIX =
      "696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e20"
          + "6272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a"
          + "01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc"
          + "3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
  static final long GENESIS_TIME = 1231006505L;
  static final long GENESIS_NONCE = 2083236893L;
  static final long GENESIS_BITS = 0x1d00ffffL;

  static Api.BlockTemplate genesisTemplate(List<String> merklePath, List<String> txs) {
    return new Api.BlockTemplate(
        "00".repeat(32),
        0,
        GENESIS_BITS,
        5_000_000_000L,
        txs.stream().map(t -> "11".repeat(32)).toList(),
        1,
        GENESIS_TIME,
        GENESIS_TIME - 1,
        "00000000ffff" + "0".repeat(52),
        COINBASE_PREFIX,
        COINBASE_SUFFIX,
        8,
        merklePath,
        txs);
  }

  private static Channel channel(Job job, BigInteger target) {
    Channel c = new Channel(1, HEX.parseHex(EXTRANONCE), target);
    c.offer(job);
    return c;
  }

  private static Sv2Message.SubmitSharesStandard share(long seq, long job, long nonce) {
    return new Sv2Message.SubmitSharesStandard(1, seq, job, nonce, GENESIS_TIME, 1);
  }

  @Test
  void genesis_merkleRootHeaderAndHash_asBitcoinHasThem() {
    Job job = Job.of(1, genesisTemplate(List.of(), List.of()));
    Bytes32 root = job.merkleRoot(HEX.parseHex(EXTRANONCE));
    assertEquals(GENESIS_MERKLE_ROOT, root.displayHex());
    byte[] header = job.header(root, GENESIS_TIME, 1, GENESIS_NONCE);
    assertEquals(GENESIS_HEADER, HEX.formatHex(header));
    assertEquals(GENESIS_HASH, Job.hash(header).displayHex());
    assertEquals(
        GENESIS_HEADER + "01" + COINBASE_PREFIX + EXTRANONCE + COINBASE_SUFFIX,
        job.blockHex(header, HEX.parseHex(EXTRANONCE)));
  }

  @Test
  void check_genesisNonce_acceptedAndABlock() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel c = channel(job, BigInteger.ONE.shiftLeft(240));
    Channel.Outcome r = c.check(share(1, 5, GENESIS_NONCE));
    assertNull(r.errorCode());
    assertTrue(r.block());
    assertEquals(GENESIS_HASH, r.hash().displayHex());
    assertArrayEquals(HEX.parseHex(GENESIS_HEADER), r.header());
  }

  @Test
  void check_shareEasierThanTheNetwork_acceptedNotABlock() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    BigInteger easy = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
    Channel.Outcome r = channel(job, easy).check(share(1, 5, GENESIS_NONCE + 1));
    assertNull(r.errorCode());
    assertFalse(r.block());
  }

  @Test
  void check_badNonce_difficultyTooLow() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel.Outcome r =
        channel(job, BigInteger.ONE.shiftLeft(240)).check(share(1, 5, GENESIS_NONCE + 1));
    assertEquals("difficulty-too-low", r.errorCode());
    assertFalse(r.block());
  }

  @Test
  void check_sameShareTwice_duplicateShare() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel c = channel(job, BigInteger.ONE.shiftLeft(240));
    assertNull(c.check(share(1, 5, GENESIS_NONCE)).errorCode());
    assertEquals("duplicate-share", c.check(share(2, 5, GENESIS_NONCE)).errorCode());
  }

  @Test
  void check_jobsAndFields_errorCodes() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel c = channel(job, BigInteger.ONE.shiftLeft(240));
    assertEquals("invalid-job-id", c.check(share(1, 6, GENESIS_NONCE)).errorCode());
    assertEquals("stale-share", c.check(share(1, 4, GENESIS_NONCE)).errorCode());
    assertEquals(
        "invalid-timestamp",
        c.check(new Sv2Message.SubmitSharesStandard(1, 1, 5, GENESIS_NONCE, GENESIS_TIME - 1, 1))
            .errorCode());
    assertEquals(
        "invalid-timestamp",
        c.check(new Sv2Message.SubmitSharesStandard(1, 1, 5, GENESIS_NONCE, GENESIS_TIME + 7201, 1))
            .errorCode());
    assertEquals(
        "invalid-version",
        c.check(new Sv2Message.SubmitSharesStandard(1, 1, 5, GENESIS_NONCE, GENESIS_TIME, 2))
            .errorCode());
    // BIP 320 bits may roll: a valid share, just not the genesis hash
    assertEquals(
        "difficulty-too-low",
        c.check(
                new Sv2Message.SubmitSharesStandard(
                    1, 1, 5, GENESIS_NONCE, GENESIS_TIME, 1 | 0x2000))
            .errorCode());
  }

  @Test
  void offer_newPrevHash_futureJobThenSetNewPrevHash_oldJobsStale() {
    Job first = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel c = new Channel(9, HEX.parseHex(EXTRANONCE), BigInteger.ONE.shiftLeft(240));
    List<Sv2Message> m = c.offer(first);
    assertEquals(2, m.size());
    Sv2Message.NewMiningJob nj = (Sv2Message.NewMiningJob) m.get(0);
    assertTrue(nj.minNtime().isEmpty(), "a future job");
    assertEquals(GENESIS_MERKLE_ROOT, nj.merkleRoot().displayHex());
    Sv2Message.SetNewPrevHash p = (Sv2Message.SetNewPrevHash) m.get(1);
    assertEquals(5, p.jobId());
    assertEquals(GENESIS_BITS, p.nbits());
    assertEquals(GENESIS_TIME, p.minNtime());
    assertEquals(List.of(), c.offer(first), "the same job twice: nothing");

    // same prev hash: an active job; the first stays valid
    Job second = Job.of(6, genesisTemplate(List.of(), List.of()));
    List<Sv2Message> m2 = c.offer(second);
    assertEquals(1, m2.size());
    assertEquals(GENESIS_TIME, ((Sv2Message.NewMiningJob) m2.get(0)).minNtime().getAsLong());
    assertNull(
        c.check(new Sv2Message.SubmitSharesStandard(9, 1, 5, GENESIS_NONCE, GENESIS_TIME, 1))
            .errorCode());

    // a new prev hash: the earlier jobs are stale
    Api.BlockTemplate t = genesisTemplate(List.of(), List.of());
    Api.BlockTemplate next =
        new Api.BlockTemplate(
            GENESIS_HASH,
            1,
            t.bits(),
            t.coinbaseValue(),
            t.txids(),
            t.version(),
            t.time(),
            t.minTime(),
            t.target(),
            t.coinbasePrefix(),
            t.coinbaseSuffix(),
            8,
            t.merklePath(),
            t.transactions());
    Job third = Job.of(7, next);
    List<Sv2Message> m3 = c.offer(third);
    assertEquals(2, m3.size());
    assertEquals(GENESIS_HASH, ((Sv2Message.SetNewPrevHash) m3.get(1)).prevHash().displayHex());
    assertEquals(
        "stale-share",
        c.check(new Sv2Message.SubmitSharesStandard(9, 2, 6, GENESIS_NONCE, GENESIS_TIME, 1))
            .errorCode());
  }

  @Test
  void offer_samePrevHash_theLast8JobsValid_anOlderOneStale() throws Exception {
    Channel c = new Channel(9, HEX.parseHex(EXTRANONCE), BigInteger.ONE.shiftLeft(240));
    for (long id = 1; id <= 9; id++) {
      c.offer(Job.of(id, genesisTemplate(List.of(), List.of())));
    }
    assertEquals(
        "stale-share",
        c.check(new Sv2Message.SubmitSharesStandard(9, 1, 1, GENESIS_NONCE, GENESIS_TIME, 1))
            .errorCode(),
        "9 jobs ago");
    assertNull(
        c.check(new Sv2Message.SubmitSharesStandard(9, 2, 2, GENESIS_NONCE, GENESIS_TIME, 1))
            .errorCode(),
        "8 jobs ago");
  }

  @Test
  void duplicateShare_theLast4096PerChannelRemembered() {
    Job job = Job.of(5, genesisTemplate(List.of(), List.of()));
    Channel c = channel(job, BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE));
    for (long nonce = 0; nonce <= 4096; nonce++) {
      assertNull(c.check(share(nonce, 5, nonce)).errorCode());
    }
    assertEquals("duplicate-share", c.check(share(1, 5, 1)).errorCode(), "among the last 4,096");
    assertNull(c.check(share(0, 5, 0)).errorCode(), "4,097 shares ago: forgotten");
  }

  @Test
  void merkleRoot_withAPath_foldsTheCoinbaseTxidWithEachEntry() {
    String e1 = "aa".repeat(32);
    String e2 = "bb".repeat(32);
    Job job = Job.of(1, genesisTemplate(List.of(e1, e2), List.of("0100", "0200")));
    byte[] cb = HEX.parseHex(COINBASE_PREFIX + EXTRANONCE + COINBASE_SUFFIX);
    byte[] root = Job.sha256d(cb);
    for (String e : List.of(e1, e2)) {
      root = Job.sha256d(HEX.parseHex(HEX.formatHex(root) + e));
    }
    assertArrayEquals(root, job.merkleRoot(HEX.parseHex(EXTRANONCE)).bytes());
    byte[] header = job.header(Bytes32.of(root), GENESIS_TIME, 1, 0);
    assertTrue(
        job.blockHex(header, HEX.parseHex(EXTRANONCE))
            .endsWith("03" + COINBASE_PREFIX + EXTRANONCE + COINBASE_SUFFIX + "0100" + "0200"));
  }
}
