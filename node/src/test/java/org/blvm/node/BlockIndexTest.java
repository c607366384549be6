package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BlockIndexTest {
  private final BlockIndex index = new BlockIndex();
  private int nonce;

  /** A block with one coinbase-shaped transaction, distinct by a counter. */
  private BlockEntry child(BlockEntry prev) {
    nonce++;
    Tx tx =
        new Tx(
            2,
            List.of(
                new TxIn(Outpoint.NULL, Bytes.owned(new byte[] {2, (byte) nonce, 0}), 0xffffffffL)),
            List.of(new TxOut(nonce, Scripts.p2wpkh(new byte[20]))),
            0);
    String prevHash = prev == null ? Consensus.ZERO_HASH : prev.hash;
    Header h = new Header(Consensus.VERSION, prevHash, "00".repeat(32), nonce, 0, nonce);
    return new BlockEntry(new Block(h, List.of(tx)), prev == null ? 0 : prev.height + 1, prev);
  }

  private BlockEntry extendMain(int blocks) {
    BlockEntry tip = index.isEmpty() ? null : index.tip();
    for (int i = 0; i < blocks; i++) {
      tip = child(tip);
      index.store(tip);
      index.appendToMain(tip);
    }
    return tip;
  }

  @Test
  void markInvalid_beyondTheBound_forgetsTheOldestFirst() {
    for (int i = 0; i <= BlockIndex.MAX_INVALID; i++) {
      index.markInvalid("h" + i);
    }
    assertFalse(index.isInvalid("h0"));
    assertTrue(index.isInvalid("h1"));
    assertTrue(index.isInvalid("h" + BlockIndex.MAX_INVALID));
  }

  @Test
  void forgetBranch_dropsTheBadBlockAndEverythingBuiltOnItOnly() {
    BlockEntry tip = extendMain(3);
    BlockEntry bad = child(tip.prev);
    BlockEntry onBad = child(bad);
    BlockEntry sibling = child(tip.prev);
    for (BlockEntry e : List.of(bad, onBad, sibling)) {
      index.store(e);
    }

    index.forgetBranch(bad);

    assertNull(index.block(bad.hash));
    assertNull(index.block(onBad.hash));
    assertSame(sibling, index.block(sibling.hash));
    assertSame(tip, index.block(tip.hash));
  }

  @Test
  void removeTip_movesItToTheSideAndOutOfTheTransactionIndex() {
    BlockEntry tip = extendMain(2);
    String txid = tip.block.txs().get(0).txid();
    assertSame(tip, index.blockOf(txid));
    assertEquals(1, index.confirmations(txid));

    assertSame(tip, index.removeTip());

    assertEquals(0, index.height());
    assertFalse(tip.mainChain);
    assertNull(index.blockOf(txid));
    assertEquals(0, index.confirmations(txid));
    assertSame(tip, index.block(tip.hash), "still stored as a side block");
  }

  @Test
  void prune_keepsTheLastBodiesAndDropsDeepSideBlocks() {
    BlockEntry genesis = extendMain(1);
    String genesisTx = genesis.block.txs().get(0).txid();
    BlockEntry deepSide = child(genesis);
    index.store(deepSide);
    BlockEntry tip = extendMain(Consensus.MAX_FORK_DEPTH + 10);

    index.prune(100);

    assertTrue(index.mainAt(tip.height - 100).pruned());
    assertFalse(index.mainAt(tip.height - 99).pruned());
    assertNull(index.blockOf(genesisTx), "a pruned block's transactions leave the index");
    assertNull(index.block(deepSide.hash), "a side block over the fork depth below the tip");
    assertSame(genesis, index.mainAt(0), "headers stay");
  }
}
