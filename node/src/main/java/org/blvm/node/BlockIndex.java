package org.blvm.node;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The blocks the chain knows: every stored block by hash, the main chain by height, side blocks in
 * arrival order, the main chain's transactions by txid (blocks not pruned), and the hashes of
 * blocks found invalid (at most {@link #MAX_INVALID}, oldest forgotten first). Holds no validation
 * logic. Not thread-safe: the chain's lock guards it.
 */
final class BlockIndex {
  static final int MAX_SIDE_BLOCKS = 1000;
  static final int MAX_INVALID = 1000;

  private final Map<String, BlockEntry> blocks = new HashMap<>();
  private final Map<String, BlockEntry> side = new LinkedHashMap<>();
  private final List<BlockEntry> main = new ArrayList<>();
  private final Map<String, BlockEntry> txIndex = new HashMap<>();
  private final Set<String> invalid = new LinkedHashSet<>();
  private long prunedBelow;

  /** The main chain's last block; the chain always holds at least its genesis. */
  BlockEntry tip() {
    return main.get(main.size() - 1);
  }

  /** The tip's height; -1 before the genesis block is connected. */
  long height() {
    return main.size() - 1;
  }

  boolean isEmpty() {
    return main.isEmpty();
  }

  BlockEntry block(String hash) {
    return blocks.get(hash);
  }

  BlockEntry mainAt(long h) {
    return h >= 0 && h < main.size() ? main.get((int) h) : null;
  }

  /** The main chain from genesis to tip (a view). */
  List<BlockEntry> mainChain() {
    return Collections.unmodifiableList(main);
  }

  /** The main-chain block holding {@code txid}, or null (also when that block was pruned). */
  BlockEntry blockOf(String txid) {
    return txIndex.get(txid);
  }

  /** Confirmations of a main-chain transaction; 0 when unconfirmed or unknown. */
  long confirmations(String txid) {
    BlockEntry e = txIndex.get(txid);
    return e == null ? 0 : height() - e.height + 1;
  }

  boolean isInvalid(String hash) {
    return invalid.contains(hash);
  }

  void markInvalid(String hash) {
    if (invalid.size() >= MAX_INVALID) {
      invalid.remove(invalid.iterator().next());
    }
    invalid.add(hash);
  }

  /** Stores a block that is not on the main chain (yet). */
  void store(BlockEntry e) {
    blocks.put(e.hash, e);
    side.put(e.hash, e);
  }

  /**
   * Makes the stored block {@code e}, a child of the tip, the new tip; indexes its transactions.
   */
  void appendToMain(BlockEntry e) {
    e.mainChain = true;
    main.add(e);
    side.remove(e.hash);
    for (Tx tx : e.block.txs()) {
      txIndex.put(tx.txid(), e);
    }
  }

  /** Moves the tip back to the side blocks; its transactions leave the index. */
  BlockEntry removeTip() {
    BlockEntry e = main.remove(main.size() - 1);
    for (Tx tx : e.block.txs()) {
      txIndex.remove(tx.txid(), e);
    }
    e.mainChain = false;
    side.put(e.hash, e);
    return e;
  }

  /** Drops a side block that failed to connect, and every stored block built on it. */
  void forgetBranch(BlockEntry bad) {
    List<String> gone = new ArrayList<>();
    for (BlockEntry e : side.values()) {
      if (e.ancestor(bad.height) == bad) {
        gone.add(e.hash);
      }
    }
    for (String h : gone) {
      blocks.remove(h);
      side.remove(h);
    }
  }

  /**
   * Drops the bodies (and undo data) of main-chain blocks below the last {@code keepBodies}, and
   * side blocks too deep to matter.
   */
  void prune(int keepBodies) {
    long keepFrom = height() - keepBodies + 1;
    for (long h = prunedBelow; h < keepFrom; h++) {
      BlockEntry e = main.get((int) h);
      if (!e.pruned()) {
        for (Tx tx : e.block.txs()) {
          txIndex.remove(tx.txid(), e);
        }
        e.block = null;
        e.undo = null;
      }
    }
    prunedBelow = Math.max(prunedBelow, keepFrom);
    pruneSideBlocks();
  }

  /**
   * Keeps at most {@link #MAX_SIDE_BLOCKS} side blocks (the lowest go first) and none more than
   * {@link Consensus#MAX_FORK_DEPTH} below the tip.
   */
  void pruneSideBlocks() {
    List<BlockEntry> sorted = new ArrayList<>(side.values());
    sorted.sort(Comparator.comparingLong((BlockEntry e) -> e.height).thenComparing(e -> e.hash));
    int excess = sorted.size() - MAX_SIDE_BLOCKS;
    for (BlockEntry e : sorted) {
      if (excess > 0 || e.height < height() - Consensus.MAX_FORK_DEPTH) {
        blocks.remove(e.hash);
        side.remove(e.hash);
        excess--;
      }
    }
  }
}
