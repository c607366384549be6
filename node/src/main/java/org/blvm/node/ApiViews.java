package org.blvm.node;

import java.util.ArrayList;
import java.util.List;
import org.blvm.protocol.Api;

/**
 * The chain's state as NodeAPI values: headers, blocks, transactions (addresses in the network's
 * bech32 prefix), mempool entries, UTXOs and mining information. Reads only. Not thread-safe: the
 * chain's lock guards what it reads.
 */
final class ApiViews {
  private final SimulationSettings settings;
  private final String hrp;
  private final BlockIndex index;
  private final Mempool mempool;

  ApiViews(SimulationSettings settings, BlockIndex index, Mempool mempool) {
    this.settings = settings;
    this.hrp = settings.addressPrefix();
    this.index = index;
    this.mempool = mempool;
  }

  Api.BlockHeader header(BlockEntry e) {
    Header h = e.header;
    return new Api.BlockHeader(
        e.hash, h.prevHash(), h.merkleRoot(), e.height, h.time(), h.bits(), h.nonce(), h.version());
  }

  Api.Block block(BlockEntry e) {
    List<String> txids = new ArrayList<>(e.txCount);
    for (Tx tx : e.block.txs()) {
      txids.add(tx.txid());
    }
    return new Api.Block(header(e), txids, e.size);
  }

  Api.Transaction transaction(Tx tx, String blockHash) {
    List<Api.TxInput> ins = new ArrayList<>(tx.inputs().size());
    for (TxIn in : tx.inputs()) {
      ins.add(new Api.TxInput(in.prevout().txid(), in.prevout().vout()));
    }
    List<Api.TxOutput> outs = new ArrayList<>(tx.outputs().size());
    for (TxOut o : tx.outputs()) {
      outs.add(new Api.TxOutput(Scripts.address(hrp, o.script()), o.value(), o.script().hex()));
    }
    return new Api.Transaction(tx.txid(), blockHash, tx.size(), tx.hex(), ins, outs);
  }

  /** A confirmed transaction from a block that is not pruned, or a mempool one; else null. */
  Api.Transaction transaction(String txid) {
    Mempool.Entry m = mempool.get(txid);
    if (m != null) {
      return transaction(m.tx(), null);
    }
    BlockEntry e = index.blockOf(txid);
    if (e == null || e.pruned()) {
      return null;
    }
    for (Tx tx : e.block.txs()) {
      if (tx.txid().equals(txid)) {
        return transaction(tx, e.hash);
      }
    }
    return null;
  }

  Api.MempoolEntry mempoolEntry(Mempool.Entry e) {
    return new Api.MempoolEntry(e.tx().txid(), e.tx().vsize(), e.fee(), e.feeRate());
  }

  Api.Utxo utxo(Outpoint o, Coin c) {
    return new Api.Utxo(
        o.txid(),
        (int) o.vout(),
        c.output().value(),
        Scripts.address(hrp, c.output().script()),
        c.output().script().hex(),
        c.height(),
        c.coinbase());
  }

  /**
   * Mining information: the hash rate follows from the target and the mean block interval of the
   * last 120 blocks (the configured interval, or 600 s, when that is not positive).
   */
  Api.MiningInfo miningInfo(long blocksSubmitted) {
    long height = index.height();
    int n = (int) Math.min(120, height);
    double interval = 0;
    if (n > 0) {
      interval = (index.tip().header.time() - index.mainAt(height - n).header.time()) / (double) n;
    }
    if (interval <= 0) {
      interval = settings.blockIntervalSeconds() > 0 ? settings.blockIntervalSeconds() : 600.0;
    }
    return new Api.MiningInfo(
        height,
        settings.targetBits(),
        CompactTarget.difficulty(settings.targetBits()),
        CompactTarget.expectedHashes(settings.target()) / interval,
        blocksSubmitted);
  }
}
