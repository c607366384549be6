package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The serialization, hashes, byte orders, merkle trees, compact targets and addresses are
 * Bitcoin's: checked against Bitcoin's genesis block and the BIP 173 / BIP 350 test vectors.
 */
class BitcoinFormatTest {
  /** Bitcoin's genesis block: header, one transaction. */
  static final String GENESIS_HEADER =
      "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
          + "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

  static final String GENESIS_COINBASE =
      "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ff"
          + "ff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e20"
          + "6272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a"
          + "01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc"
          + "3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";

  @Test
  void genesisBlock_parsesAndHashesAsBitcoinDisplaysIt() throws Exception {
    Block b = Block.parse(Hashes.fromHex(GENESIS_HEADER + "01" + GENESIS_COINBASE));
    assertEquals("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", b.hash());
    Tx cb = b.txs().get(0);
    assertTrue(cb.isCoinbase());
    assertEquals("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", cb.txid());
    assertEquals(cb.txid(), b.header().merkleRoot());
    assertEquals(cb.txid(), Hashes.display(Hashes.merkleRoot(b.leaves())));
    assertEquals(5_000_000_000L, cb.outputTotal());
    assertEquals(0x1d00ffffL, b.header().bits());
    assertEquals(GENESIS_HEADER + "01" + GENESIS_COINBASE, Hashes.hex(b.serialize()));
    assertTrue(
        CompactTarget.meets(b.header().hashInternal(), CompactTarget.decode(b.header().bits())));
    assertEquals(1.0, CompactTarget.difficulty(0x1d00ffffL));
    assertEquals(null, Consensus.checkTransaction(cb));
  }

  @Test
  void compactTarget_decodesLikeBitcoinCore() {
    assertEquals(
        new BigInteger("00000000ffff0000000000000000000000000000000000000000000000000000", 16),
        CompactTarget.decode(0x1d00ffffL));
    assertEquals(
        new BigInteger("7fffff0000000000000000000000000000000000000000000000000000000000", 16),
        CompactTarget.decode(0x207fffffL));
    assertNull(CompactTarget.decode(0x04923456L), "negative");
    assertNull(CompactTarget.decode(0xff123456L), "overflow");
    assertNull(CompactTarget.decode(0x1d000000L), "zero");
    assertEquals(4.656542373906925e-10, CompactTarget.difficulty(0x207fffffL), 1e-24);
    byte[] easy = new byte[32];
    easy[31] = 0x7f; // internal order: the most significant byte is last
    BigInteger t = CompactTarget.decode(0x207fffffL);
    assertTrue(CompactTarget.meets(easy, t));
    assertTrue(CompactTarget.meets(easy, CompactTarget.bytes(t)));
    easy[31] = (byte) 0x80;
    assertTrue(!CompactTarget.meets(easy, t) && !CompactTarget.meets(easy, CompactTarget.bytes(t)));
  }

  @Test
  void merklePath_foldedWithLeafZero_givesTheRoot() {
    SplitMix64 r = new SplitMix64(7);
    for (int n = 1; n <= 17; n++) {
      List<byte[]> leaves = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        leaves.add(r.nextBytes(32));
      }
      List<byte[]> path = Hashes.merklePath(leaves);
      assertArrayEquals(
          Hashes.merkleRoot(leaves), Hashes.foldPath(leaves.get(0), path), "leaves: " + n);
      leaves.set(0, new byte[32]);
      assertEquals(path.size(), Hashes.merklePath(leaves).size());
    }
  }

  @Test
  void transaction_witnessSerialization_txidWithoutWitness() throws Exception {
    Outpoint prev = new Outpoint("11".repeat(32), 3);
    TxOut out = new TxOut(50_000, Scripts.p2wpkh(new byte[20]));
    Tx plain = new Tx(2, List.of(new TxIn(prev, Bytes.EMPTY, 0xfffffffdL)), List.of(out), 0);
    Tx witnessed =
        new Tx(
            2,
            List.of(
                new TxIn(
                    prev,
                    Bytes.EMPTY,
                    0xfffffffdL,
                    List.of(Bytes.of(new byte[72]), Bytes.of(new byte[33])))),
            List.of(out),
            0);
    assertEquals(plain.txid(), witnessed.txid());
    assertNotEquals(plain.size(), witnessed.size());
    assertTrue(witnessed.vsize() < witnessed.size());
    assertEquals(witnessed, Tx.parse(witnessed.raw()));
    assertTrue(witnessed.hex().startsWith("020000000001"), witnessed.hex());
    assertEquals(plain, Tx.parse(plain.raw()));
    // a witness flag without any witness is refused, as are trailing bytes
    String body = plain.hex().substring(8, plain.hex().length() - 8);
    String superfluous = "02000000" + "0001" + body + "00" + "00000000";
    assertThrows(DecodeException.class, () -> Tx.parse(Hashes.fromHex(superfluous)));
    assertThrows(DecodeException.class, () -> Tx.parse(Hashes.fromHex(plain.hex() + "00")));
  }

  @Test
  void compactSize_nonCanonicalRefused() {
    assertThrows(
        DecodeException.class, () -> new ByteReader(new byte[] {(byte) 0xfd, 5, 0}).varint());
    assertThrows(
        DecodeException.class,
        () -> new ByteReader(new byte[] {(byte) 0xfe, (byte) 0xff, (byte) 0xff, 0, 0}).varint());
  }

  @Test
  void bech32_bip173AndBip350Vectors() {
    assertEquals(
        "0014751e76e8199196d454941c45d1b3a323f1433bd6",
        script("bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
    assertEquals(
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
        script("tb", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"));
    assertEquals(
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        script("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"));
    assertNull(Scripts.fromAddress("bc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"), "checksum");
    assertNull(
        Scripts.fromAddress("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"),
        "version 1 with a bech32 (not bech32m) checksum");
    assertNull(
        Scripts.fromAddress("tb", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"), "other hrp");
    assertEquals(Optional.empty(), Bech32.decode("bc", "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du"));
    Bytes p2wpkh = Scripts.p2wpkh(new SplitMix64(1).nextBytes(20));
    String regtest = Scripts.address("bcrt", p2wpkh);
    assertTrue(regtest.startsWith("bcrt1q"), regtest);
    assertEquals(p2wpkh, Scripts.fromAddress("bcrt", regtest));
    assertEquals(
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        Scripts.address("bc", Bytes.fromHex("0014751e76e8199196d454941c45d1b3a323f1433bd6")));
    assertNull(Scripts.address("bc", Bytes.fromHex("76a914" + "00".repeat(20) + "88ac")));
  }

  @Test
  void heightPush_isBitcoinCoreScriptNumber() {
    assertEquals("00", Hashes.hex(Scripts.heightPush(0)));
    assertEquals("51", Hashes.hex(Scripts.heightPush(1)));
    assertEquals("60", Hashes.hex(Scripts.heightPush(16)));
    assertEquals("0111", Hashes.hex(Scripts.heightPush(17)));
    assertEquals("028000", Hashes.hex(Scripts.heightPush(128)));
    assertEquals("03a08601", Hashes.hex(Scripts.heightPush(100_000)));
  }

  private static String script(String hrp, String address) {
    Bytes s = Scripts.fromAddress(hrp, address);
    return s == null ? null : s.hex();
  }
}
