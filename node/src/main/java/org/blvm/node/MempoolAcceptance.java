package org.blvm.node;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * What enters and leaves the mempool, with Bitcoin Core's reject reasons (docs/simulation.md):
 * acceptance with replacement and eviction, and the removals a chain change causes. Every change
 * records its MempoolTransactionAdded or MempoolTransactionRemoved event and tells the block
 * templates. Keeps which mempool transactions the node's own wallet made. Not thread-safe: the
 * chain's lock guards it.
 */
final class MempoolAcceptance {
  static final int MAX_TX_BYTES = 400_000;
  static final long DUST = 546;
  static final double MIN_RELAY_FEE_RATE = 1.0;

  private final SimulationSettings settings;
  private final BlockIndex index;
  private final UtxoSet utxo;
  private final Mempool mempool;
  private final BlockTemplates templates;
  private final EventOutbox out;
  private final Set<String> ownTxids = new LinkedHashSet<>();

  MempoolAcceptance(
      SimulationSettings settings,
      BlockIndex index,
      UtxoSet utxo,
      Mempool mempool,
      BlockTemplates templates,
      EventOutbox out) {
    this.settings = settings;
    this.index = index;
    this.utxo = utxo;
    this.mempool = mempool;
    this.templates = templates;
    this.out = out;
  }

  /** send_transaction: decodes, checks and accepts a transaction into the mempool. */
  Api.SendTransactionResult send(String rawHex) {
    Tx tx;
    try {
      tx = Tx.parse(Hashes.fromHex(rawHex));
    } catch (DecodeException | IllegalArgumentException e) {
      return new Api.SendTransactionResult(null, false, "decode-failed");
    }
    String reason = Consensus.checkTransaction(tx);
    if (reason == null && tx.isCoinbase()) {
      reason = "coinbase";
    }
    if (reason == null) {
      reason = accept(tx);
    }
    return new Api.SendTransactionResult(tx.txid(), reason == null, reason);
  }

  /** Accepts a transaction of the node's own wallet; null on success, else the reason. */
  String acceptOwn(Tx tx) {
    String reason = accept(tx);
    if (reason == null) {
      ownTxids.add(tx.txid());
    }
    return reason;
  }

  /** The own wallet's transactions in the mempool, in the order they were accepted. */
  List<String> ownTxids() {
    return new ArrayList<>(ownTxids);
  }

  boolean hasOwn() {
    return !ownTxids.isEmpty();
  }

  /**
   * Mempool acceptance (Bitcoin Core's reasons): standard outputs, inputs in the UTXO set or the
   * mempool, no value created, the minimum relay fee, and replacement of conflicting transactions
   * only for a higher fee and fee rate. On success records the removals it caused and
   * MempoolTransactionAdded; returns null, else the reason.
   */
  String accept(Tx tx) {
    String txid = tx.txid();
    if (tx.size() > MAX_TX_BYTES) {
      return "tx-size";
    }
    if (mempool.contains(txid)) {
      return "txn-already-in-mempool";
    }
    if (index.blockOf(txid) != null) {
      return "txn-already-known";
    }
    for (TxOut o : tx.outputs()) {
      if (Scripts.witnessProgram(o.script()) == null) {
        return "scriptpubkey";
      }
      if (o.value() < DUST) {
        return "dust";
      }
    }
    long in = 0;
    Set<String> conflicts = new LinkedHashSet<>();
    for (TxIn input : tx.inputs()) {
      Coin c = utxo.get(input.prevout());
      TxOut prev = c != null ? c.output() : mempool.output(input.prevout());
      if (prev == null) {
        return "bad-txns-inputs-missingorspent";
      }
      in += prev.value();
      String spender = mempool.spender(input.prevout());
      if (spender != null) {
        conflicts.add(spender);
      }
    }
    if (tx.outputTotal() > in) {
      return "bad-txns-in-belowout";
    }
    long fee = in - tx.outputTotal();
    if (fee < Math.ceil(tx.vsize() * MIN_RELAY_FEE_RATE)) {
      return "min relay fee not met";
    }
    Set<String> replaced = new LinkedHashSet<>();
    if (!conflicts.isEmpty()) {
      String refused = replaceable(tx, fee, conflicts, replaced);
      if (refused != null) {
        return refused;
      }
    }
    double rate = (double) fee / tx.vsize();
    if (mempool.size() - replaced.size() >= settings.maxMempoolTransactions()) {
      Mempool.Entry low = mempool.lowestFeeRate();
      if (low != null && rate <= low.feeRate()) {
        return "mempool full";
      }
    }
    for (String r : replaced) {
      removeOne(r, "replaced");
    }
    mempool.add(tx, fee);
    templates.mempoolChanged();
    out.emit(
        EventType.MempoolTransactionAdded,
        new EventPayloads.MempoolTransactionAdded(txid, tx.vsize(), fee, rate));
    while (mempool.size() > settings.maxMempoolTransactions()) {
      removeWithDescendants(mempool.lowestFeeRate().tx().txid(), "evicted");
    }
    return mempool.contains(txid) ? null : "mempool full";
  }

  /**
   * Whether {@code tx} paying {@code fee} may replace {@code conflicts} and their descendants
   * (added to {@code replaced}): a higher fee rate than each conflict, enough fee to pay for what
   * it replaces plus its own relay, and no input spending a replaced transaction. Null or the
   * reason.
   */
  private String replaceable(Tx tx, long fee, Set<String> conflicts, Set<String> replaced) {
    long replacedFees = 0;
    double rate = (double) fee / tx.vsize();
    for (String c : conflicts) {
      if (rate <= mempool.get(c).feeRate()) {
        return "insufficient fee";
      }
      replaced.addAll(mempool.withDescendants(c));
    }
    for (String r : replaced) {
      replacedFees += mempool.get(r).fee();
    }
    if (fee < replacedFees + Math.ceil(tx.vsize() * MIN_RELAY_FEE_RATE)) {
      return "insufficient fee";
    }
    for (TxIn input : tx.inputs()) {
      if (replaced.contains(input.prevout().txid())) {
        return "bad-txns-spends-conflicting-tx";
      }
    }
    return null;
  }

  /**
   * A block was connected: its transactions leave the mempool ({@code mined}), then mempool
   * transactions spending the same outputs, with their descendants ({@code conflict}).
   */
  void blockConnected(Block b) {
    for (Tx tx : b.txs()) {
      if (tx.isCoinbase()) {
        continue;
      }
      removeOne(tx.txid(), "mined");
      for (TxIn in : tx.inputs()) {
        String spender = mempool.spender(in.prevout());
        if (spender != null) {
          removeWithDescendants(spender, "conflict");
        }
      }
    }
  }

  /** After a reorg: mempool transactions left without their inputs go ({@code reorg}). */
  void removeOrphans() {
    List<String> orphans = new ArrayList<>();
    for (Mempool.Entry m : mempool.entries()) {
      for (TxIn in : m.tx().inputs()) {
        if (!utxo.contains(in.prevout()) && mempool.output(in.prevout()) == null) {
          orphans.add(m.tx().txid());
          break;
        }
      }
    }
    for (String o : orphans) {
      if (mempool.contains(o)) {
        removeWithDescendants(o, "reorg");
      }
    }
  }

  private void removeWithDescendants(String txid, String reason) {
    for (String t : mempool.withDescendants(txid)) {
      removeOne(t, reason);
    }
  }

  private void removeOne(String txid, String reason) {
    if (mempool.remove(txid) != null) {
      ownTxids.remove(txid);
      templates.mempoolChanged();
      out.emit(
          EventType.MempoolTransactionRemoved,
          new EventPayloads.MempoolTransactionRemoved(txid, reason));
    }
  }
}
