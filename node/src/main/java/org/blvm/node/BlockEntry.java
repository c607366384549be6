package org.blvm.node;

import java.util.List;

/**
 * A block the chain stores: on the main chain or on a side branch. The body and the undo data (the
 * coins its inputs spent, in input order) are dropped when the block is pruned; the header stays.
 * Mutable fields are guarded by the chain's lock.
 */
final class BlockEntry {
  final Header header;
  final String hash;
  final long height;
  final BlockEntry prev;
  final int size;
  final int txCount;
  Block block;
  List<Coin> undo;
  boolean mainChain;
  boolean submitted;

  BlockEntry(Block block, long height, BlockEntry prev) {
    this.header = block.header();
    this.hash = block.hash();
    this.height = height;
    this.prev = prev;
    this.size = block.size();
    this.txCount = block.txs().size();
    this.block = block;
  }

  boolean pruned() {
    return block == null;
  }

  /** The ancestor at {@code h} (this entry when {@code h == height}). */
  BlockEntry ancestor(long h) {
    BlockEntry e = this;
    while (e != null && e.height > h) {
      e = e.prev;
    }
    return e;
  }
}
