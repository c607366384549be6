package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UtxoSetTest {
  private static final Bytes WALLET = Scripts.p2wpkh(new byte[20]);
  private static final Bytes OTHER = Scripts.p2wpkh(filled(20, 7));

  private final UtxoSet set = new UtxoSet(List.of(WALLET));

  private static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }

  private static Outpoint op(int i) {
    return new Outpoint(String.format("%064x", i), 0);
  }

  private static Coin coin(long value, Bytes script) {
    return new Coin(new TxOut(value, script), 1, false);
  }

  private static Tx coinbase(long value) {
    Bytes sig = Bytes.owned(new byte[] {1, 5, 0});
    return new Tx(
        2, List.of(new TxIn(Outpoint.NULL, sig, 0xffffffffL)), List.of(new TxOut(value, OTHER)), 0);
  }

  private static Tx spending(Outpoint in, long value, Bytes script) {
    return new Tx(
        2, List.of(new TxIn(in, Bytes.EMPTY, 0xffffffffL)), List.of(new TxOut(value, script)), 0);
  }

  private static BlockEntry block(long height, Tx... txs) {
    List<Tx> all = List.of(txs);
    Header h = new Header(Consensus.VERSION, Consensus.ZERO_HASH, "00".repeat(32), 0, 0, 0);
    return new BlockEntry(new Block(h, all), height, null);
  }

  @Test
  void remove_walletCoinFromTheMiddle_indexKeepsExactlyTheOthers() {
    set.put(op(1), coin(1000, WALLET));
    set.put(op(2), coin(2000, WALLET));
    set.put(op(3), coin(3000, OTHER));
    set.put(op(4), coin(4000, WALLET));

    set.remove(op(2));
    set.remove(op(9));

    assertEquals(3, set.size());
    assertEquals(2, set.walletCoinCount());
    Set<Outpoint> indexed = new HashSet<>();
    for (int i = 0; i < set.walletCoinCount(); i++) {
      indexed.add(set.walletCoin(i));
    }
    assertEquals(Set.of(op(1), op(4)), indexed);
    assertNull(set.walletIndexInconsistency());
  }

  @Test
  void connect_thenDisconnect_restoresTheSetAndTheWalletIndex() {
    set.put(op(1), coin(50_000, WALLET));
    Map<Outpoint, Coin> before = new HashMap<>();
    before.put(op(1), coin(50_000, WALLET));
    Tx spend = spending(op(1), 40_000, WALLET);
    BlockEntry e = block(2, coinbase(Consensus.subsidy(2) + 10_000), spend);

    assertNull(set.connect(e));
    assertNull(set.get(op(1)));
    assertEquals(40_000, set.get(new Outpoint(spend.txid(), 0)).output().value());
    assertEquals(1, set.walletCoinCount());
    assertEquals(new Outpoint(spend.txid(), 0), set.walletCoin(0));

    set.disconnect(e);
    assertNull(set.differenceFrom(before));
    assertNull(set.walletIndexInconsistency());
    assertEquals(op(1), set.walletCoin(0));
    assertThrows(IllegalStateException.class, () -> set.disconnect(e), "undo data is used once");
  }

  @Test
  void connect_rejectedBlock_changesNothing() {
    set.put(op(1), coin(50_000, WALLET));
    Map<Outpoint, Coin> before = Map.of(op(1), coin(50_000, WALLET));

    assertEquals(
        "bad-txns-inputs-missingorspent",
        set.connect(block(2, coinbase(1), spending(op(2), 1000, OTHER))));
    assertEquals(
        "bad-txns-in-belowout", set.connect(block(2, coinbase(1), spending(op(1), 50_001, OTHER))));
    assertEquals(
        "bad-cb-amount",
        set.connect(
            block(2, coinbase(Consensus.subsidy(2) + 10_001), spending(op(1), 40_000, OTHER))));
    Tx spend = spending(op(1), 40_000, OTHER);
    assertEquals(
        "bad-txns-inputs-missingorspent",
        set.connect(block(2, coinbase(1), spend, spending(op(1), 30_000, OTHER))),
        "one coin spent twice in a block");
    assertNull(set.differenceFrom(before));
    assertNull(set.walletIndexInconsistency());
    assertTrue(set.differenceFrom(Map.of()) != null);
  }
}
