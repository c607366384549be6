package org.blvm.node;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * The simulated chain's state and how it changes: blocks submitted or mined are checked ({@link
 * Consensus}), connected to and disconnected from the UTXO set, and the best chain followed through
 * reorgs, with Bitcoin Core's reject reasons (docs/simulation.md). Its parts: the {@link
 * BlockIndex}, the {@link UtxoSet}, the {@link Mempool} with its {@link MempoolAcceptance}, the
 * {@link BlockTemplates}, the node's {@link Wallet}, the {@link Miner} and the {@link ApiViews}.
 * Not thread-safe: {@link SimulatedChain} guards it with its lock. Every state change records its
 * events in the outbox, in order.
 *
 * <p>Over 400 lines: submit, activation and reorg are one sequence of steps over the parts, read
 * best in one place.
 */
final class ChainState {
  static final int WALLET_SIZE = 32;

  private final SimulationSettings settings;
  private final EventOutbox out;
  private final SimClock clock;
  private final BlockIndex index = new BlockIndex();
  private final UtxoSet utxo;
  private final Mempool mempool = new Mempool();
  private final BlockTemplates templates;
  private final MempoolAcceptance acceptance;
  private final Wallet wallet;
  private final Miner miner;
  private final ApiViews views;
  private long blocksSubmitted;

  /**
   * Builds the genesis block and {@code initialBlocks} more, spaced by the block interval (600 s
   * when simulated blocks are off) and ending before {@code startMillis}, without events.
   */
  ChainState(SimulationSettings settings, long startMillis, SplitMix64 random, EventOutbox out) {
    this.settings = settings;
    this.out = out;
    this.clock = new SimClock(startMillis);
    List<Bytes> walletScripts = new ArrayList<>(WALLET_SIZE);
    for (int i = 0; i < WALLET_SIZE; i++) {
      walletScripts.add(Scripts.p2wpkh(random.nextBytes(20)));
    }
    this.utxo = new UtxoSet(walletScripts);
    this.templates = new BlockTemplates(settings, index, utxo, mempool, clock, out);
    this.acceptance = new MempoolAcceptance(settings, index, utxo, mempool, templates, out);
    this.wallet = new Wallet(random, utxo, mempool, acceptance, out);
    this.miner = new Miner(settings, clock, wallet);
    this.views = new ApiViews(settings, index, mempool);
    double spacing = settings.blockIntervalSeconds() > 0 ? settings.blockIntervalSeconds() : 600.0;
    out.quiet(true);
    try {
      for (int h = 0; h <= settings.initialBlocks(); h++) {
        clock.set(startMillis - Math.round((settings.initialBlocks() - h) * spacing * 1000));
        BlockEntry e = miner.mineOn(index.isEmpty() ? null : tip(), List.of(), 0);
        index.store(e);
        requireConnected(connect(e), e);
      }
    } finally {
      out.quiet(false);
    }
    clock.set(startMillis);
  }

  // ---------------------------------------------------------------- clock, parts and simple reads

  long nowMillis() {
    return clock.millis();
  }

  long nowSeconds() {
    return clock.seconds();
  }

  void advanceTo(long millis) {
    clock.advanceTo(millis);
  }

  BlockEntry tip() {
    return index.tip();
  }

  long height() {
    return index.height();
  }

  String hrp() {
    return settings.addressPrefix();
  }

  Mempool mempool() {
    return mempool;
  }

  BlockEntry block(String hash) {
    return index.block(hash);
  }

  BlockEntry mainAt(long h) {
    return index.mainAt(h);
  }

  Coin coin(Outpoint o) {
    return utxo.get(o);
  }

  /** Confirmations of a main-chain transaction; 0 when unconfirmed or unknown. */
  long confirmations(String txid) {
    return index.confirmations(txid);
  }

  ApiViews views() {
    return views;
  }

  BlockTemplates templates() {
    return templates;
  }

  Wallet wallet() {
    return wallet;
  }

  Api.MiningInfo miningInfo() {
    return views.miningInfo(blocksSubmitted);
  }

  /** send_transaction: decodes, checks and accepts a transaction into the mempool. */
  Api.SendTransactionResult send(String rawHex) {
    return acceptance.send(rawHex);
  }

  // ---------------------------------------------------------------- blocks of the simulated
  // network

  /** Mines a block on the tip from the mempool and connects it (the simulated network found it). */
  void mineOnTip() {
    List<Tx> txs = templates.select(settings.maxBlockTransactions());
    BlockEntry e = miner.mineOn(tip(), txs, feesOf(txs));
    index.store(e);
    requireConnected(activate(e, new BlockEntry[1]), e);
  }

  /**
   * A competing branch replaces the last {@code depth} blocks: {@code depth + 1} blocks on the
   * block below them, holding some of the mempool's transactions but none of the replaced blocks'
   * (those go back to the mempool).
   */
  void reorg(int depth) {
    BlockEntry oldTip = tip();
    BlockEntry fork = oldTip.ancestor(oldTip.height - depth);
    List<BlockEntry> removed = new ArrayList<>();
    while (tip() != fork) {
      removed.add(tip());
      disconnectTip();
    }
    List<BlockEntry> branch = new ArrayList<>();
    for (int i = 0; i <= depth; i++) {
      List<Tx> txs = templates.select(Math.max(1, settings.maxBlockTransactions() / 2));
      BlockEntry e = miner.mineOn(tip(), txs, feesOf(txs));
      requireConnected(connect(e), e);
      branch.add(e);
    }
    for (int i = branch.size() - 1; i >= 0; i--) {
      disconnectTip();
    }
    for (int i = removed.size() - 1; i >= 0; i--) {
      requireConnected(connect(removed.get(i)), removed.get(i));
    }
    for (BlockEntry e : branch) {
      index.store(e);
    }
    BlockEntry newTip = branch.get(branch.size() - 1);
    requireConnected(activate(newTip, new BlockEntry[1]), newTip);
  }

  private long feesOf(List<Tx> txs) {
    long fees = 0;
    for (Tx tx : txs) {
      fees += mempool.get(tx.txid()).fee();
    }
    return fees;
  }

  private static void requireConnected(String reason, BlockEntry e) {
    if (reason != null) {
      throw new IllegalStateException(
          "the chain rejected a block it mined itself (" + reason + "): " + e.hash);
    }
  }

  // ---------------------------------------------------------------- submit_block

  /** Validates a submitted block and, when it is valid, stores it and follows the best chain. */
  Api.SubmitBlockResult submit(String blockHex) {
    Block b;
    try {
      b = Block.parse(Hashes.fromHex(blockHex));
    } catch (DecodeException | IllegalArgumentException e) {
      return new Api.SubmitBlockResult(false, "decode-failed");
    }
    String hash = b.hash();
    if (index.isInvalid(hash)) {
      return new Api.SubmitBlockResult(false, "duplicate-invalid");
    }
    if (index.block(hash) != null) {
      return new Api.SubmitBlockResult(false, "duplicate");
    }
    BlockEntry prev = index.block(b.header().prevHash());
    String reason = Consensus.checkBlock(b);
    boolean permanent = false;
    if (reason == null) {
      if (index.isInvalid(b.header().prevHash())) {
        reason = "bad-prevblk";
      } else if (prev == null) {
        reason = "prev-blk-not-found";
      } else {
        reason = Consensus.contextualCheck(b, prev, settings.targetBits(), nowSeconds(), height());
        permanent = reason != null && !reason.equals("time-too-new");
      }
    }
    if (reason != null) {
      return reject(b, prev, reason, permanent);
    }
    BlockEntry e = new BlockEntry(b, prev.height + 1, prev);
    e.submitted = true;
    index.store(e);
    if (e.height <= height()) {
      index.pruneSideBlocks();
      blocksSubmitted++;
      return new Api.SubmitBlockResult(true, "inconclusive");
    }
    BlockEntry[] failed = new BlockEntry[1];
    reason = activate(e, failed);
    if (reason != null) {
      index.forgetBranch(failed[0]);
      return reject(failed[0].block, failed[0].prev, reason, true);
    }
    blocksSubmitted++;
    return new Api.SubmitBlockResult(true, null);
  }

  private Api.SubmitBlockResult reject(Block b, BlockEntry prev, String reason, boolean mark) {
    if (mark) {
      index.markInvalid(b.hash());
    }
    if (prev != null) {
      out.emit(
          EventType.BlockValidationStarted,
          new EventPayloads.BlockValidationStarted(b.hash(), prev.height + 1));
      out.emit(
          EventType.BlockValidationCompleted,
          new EventPayloads.BlockValidationCompleted(b.hash(), prev.height + 1, false, reason));
    }
    return new Api.SubmitBlockResult(false, reason);
  }

  // ---------------------------------------------------------------- connect, disconnect, reorg

  /**
   * Makes {@code newTip} the tip: disconnects back to the fork point, connects the new branch and
   * records the events. When a block of the branch fails, everything is put back as it was, {@code
   * failed[0]} is that block and its reject reason is returned; null on success.
   */
  private String activate(BlockEntry newTip, BlockEntry[] failed) {
    BlockEntry fork = newTip;
    while (!fork.mainChain) {
      fork = fork.prev;
    }
    List<BlockEntry> disconnected = new ArrayList<>();
    while (tip() != fork) {
      disconnected.add(tip());
      disconnectTip();
    }
    List<BlockEntry> toConnect = new ArrayList<>();
    for (BlockEntry e = newTip; e != fork; e = e.prev) {
      toConnect.add(e);
    }
    Collections.reverse(toConnect);
    List<BlockEntry> connected = new ArrayList<>();
    for (BlockEntry e : toConnect) {
      String reason = connect(e);
      if (reason != null) {
        for (int i = connected.size() - 1; i >= 0; i--) {
          disconnectTip();
        }
        for (int i = disconnected.size() - 1; i >= 0; i--) {
          requireConnected(connect(disconnected.get(i)), disconnected.get(i));
        }
        failed[0] = e;
        return reason;
      }
      connected.add(e);
    }
    recordChainChange(fork, disconnected, connected);
    return null;
  }

  /**
   * Events and mempool changes of a successful chain change, in this order: BlockDisconnected for
   * each removed block (tip first), ChainReorg, then per connected block BlockValidationStarted,
   * BlockValidationCompleted, NewBlock and the removal of its transactions from the mempool ({@code
   * mined}) and of mempool transactions that spend the same outputs ({@code conflict}); then the
   * removed blocks' transactions that are not in the new branch go back to the mempool
   * (MempoolTransactionAdded), and mempool transactions left without their inputs are removed
   * ({@code reorg}).
   */
  private void recordChainChange(
      BlockEntry fork, List<BlockEntry> disconnected, List<BlockEntry> connected) {
    for (BlockEntry d : disconnected) {
      out.emit(EventType.BlockDisconnected, new EventPayloads.BlockDisconnected(d.hash, d.height));
    }
    if (!disconnected.isEmpty()) {
      out.emit(
          EventType.ChainReorg,
          new EventPayloads.ChainReorg(
              disconnected.get(0).hash,
              connected.get(connected.size() - 1).hash,
              fork.hash,
              disconnected.size()));
    }
    Set<String> inNewBranch = new HashSet<>();
    for (BlockEntry c : connected) {
      out.emit(
          EventType.BlockValidationStarted,
          new EventPayloads.BlockValidationStarted(c.hash, c.height));
      out.emit(
          EventType.BlockValidationCompleted,
          new EventPayloads.BlockValidationCompleted(c.hash, c.height, true, null));
      out.emit(
          EventType.NewBlock,
          new EventPayloads.NewBlock(
              c.hash, c.height, c.header.prevHash(), c.header.time(), c.txCount));
      for (Tx tx : c.block.txs()) {
        inNewBranch.add(tx.txid());
      }
      acceptance.blockConnected(c.block);
    }
    for (int i = disconnected.size() - 1; i >= 0; i--) {
      for (Tx tx : disconnected.get(i).block.txs()) {
        if (!tx.isCoinbase() && !inNewBranch.contains(tx.txid())) {
          acceptance.accept(tx);
        }
      }
    }
    if (!disconnected.isEmpty()) {
      acceptance.removeOrphans();
    }
    index.prune(settings.keepBlockBodies());
  }

  /** Connects {@code e}, a child of the tip, when the UTXO set allows; else its reject reason. */
  private String connect(BlockEntry e) {
    String reason = utxo.connect(e);
    if (reason == null) {
      index.appendToMain(e);
      templates.tipChanged();
    }
    return reason;
  }

  /** Undoes the tip: its outputs leave the UTXO set, the coins it spent come back. */
  private void disconnectTip() {
    utxo.disconnect(tip());
    index.removeTip();
    templates.tipChanged();
  }

  /**
   * Checks the invariants the tests rely on: the UTXO set equals the one rebuilt from the main
   * chain's blocks, every mempool input is available, and the wallet index matches the UTXO set.
   * Needs every main-chain body (no pruning yet). Returns a description of the first difference, or
   * null.
   */
  String inconsistency() {
    Map<Outpoint, Coin> rebuilt = new HashMap<>();
    for (BlockEntry e : index.mainChain()) {
      if (e.pruned()) {
        return "block " + e.height + " is pruned";
      }
      for (Tx tx : e.block.txs()) {
        if (!tx.isCoinbase()) {
          for (TxIn in : tx.inputs()) {
            if (rebuilt.remove(in.prevout()) == null) {
              return "block " + e.height + " spends a missing output " + in.prevout();
            }
          }
        }
        for (int v = 0; v < tx.outputs().size(); v++) {
          rebuilt.put(
              new Outpoint(tx.txid(), v), new Coin(tx.outputs().get(v), e.height, tx.isCoinbase()));
        }
      }
      if (index.blockOf(e.block.txs().get(0).txid()) != e) {
        return "tx index misses block " + e.height;
      }
    }
    String utxoDiff = utxo.differenceFrom(rebuilt);
    if (utxoDiff != null) {
      return utxoDiff;
    }
    for (Mempool.Entry m : mempool.entries()) {
      for (TxIn in : m.tx().inputs()) {
        if (!utxo.contains(in.prevout()) && mempool.output(in.prevout()) == null) {
          return "mempool transaction " + m.tx().txid() + " spends a missing output";
        }
        if (!m.tx().txid().equals(mempool.spender(in.prevout()))) {
          return "mempool spender index wrong for " + in.prevout();
        }
      }
      if (index.blockOf(m.tx().txid()) != null) {
        return "mempool transaction " + m.tx().txid() + " is also confirmed";
      }
    }
    return utxo.walletIndexInconsistency();
  }
}
