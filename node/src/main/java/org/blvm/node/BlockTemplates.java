package org.blvm.node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * Block templates on the tip: which mempool transactions a block takes, the template of
 * get_block_template (cached until the tip or the mempool changes), and its announcements
 * (BlockTemplateUpdated and MiningJobCreated, at most one per {@code template_interval_seconds}
 * after the mempool changed). Not thread-safe: the chain's lock guards it.
 */
final class BlockTemplates {
  /** A block template built on {@code parentHash} from mempool version {@code mempoolVersion}. */
  private record Template(
      String parentHash,
      long mempoolVersion,
      List<Tx> txs,
      long fees,
      Bytes prefix,
      Bytes suffix,
      List<Bytes> path) {}

  private final SimulationSettings settings;
  private final BlockIndex index;
  private final UtxoSet utxo;
  private final Mempool mempool;
  private final SimClock clock;
  private final EventOutbox out;

  private Template template;
  private long mempoolVersion;
  private boolean templateDirty;
  private long lastTemplateMillis = Long.MIN_VALUE;
  private long jobCounter;
  private String currentJob;

  BlockTemplates(
      SimulationSettings settings,
      BlockIndex index,
      UtxoSet utxo,
      Mempool mempool,
      SimClock clock,
      EventOutbox out) {
    this.settings = settings;
    this.index = index;
    this.utxo = utxo;
    this.mempool = mempool;
    this.clock = clock;
    this.out = out;
  }

  /** The id of the last MiningJobCreated, or null before the first. */
  String currentJob() {
    return currentJob;
  }

  /** The mempool changed: the template is rebuilt when next asked for and announced when due. */
  void mempoolChanged() {
    mempoolVersion++;
    templateDirty = true;
  }

  /** The tip changed: the template is rebuilt when next asked for. */
  void tipChanged() {
    template = null;
  }

  Api.BlockTemplate apiTemplate() {
    Template t = template();
    BlockEntry tip = index.tip();
    long minTime = Consensus.medianTimePast(tip) + 1;
    List<String> txids = new ArrayList<>(t.txs.size());
    List<String> raw = new ArrayList<>(t.txs.size());
    for (Tx tx : t.txs) {
      txids.add(tx.txid());
      raw.add(tx.hex());
    }
    List<String> path = new ArrayList<>(t.path.size());
    for (Bytes b : t.path) {
      path.add(b.hex());
    }
    return new Api.BlockTemplate(
        tip.hash,
        tip.height + 1,
        settings.targetBits(),
        Consensus.subsidy(tip.height + 1) + t.fees,
        txids,
        Consensus.VERSION,
        Math.max(clock.seconds(), minTime),
        minTime,
        CompactTarget.hex(settings.target()),
        t.prefix.hex(),
        t.suffix.hex(),
        Consensus.EXTRANONCE_SIZE,
        path,
        raw);
  }

  private Template template() {
    BlockEntry tip = index.tip();
    if (template != null
        && template.parentHash.equals(tip.hash)
        && template.mempoolVersion == mempoolVersion) {
      return template;
    }
    List<Tx> txs = select(settings.maxBlockTransactions());
    long fees = 0;
    List<byte[]> leaves = new ArrayList<>(txs.size() + 1);
    leaves.add(new byte[32]);
    for (Tx tx : txs) {
      fees += mempool.get(tx.txid()).fee();
      leaves.add(tx.txidInternal());
    }
    Bytes[] parts =
        Consensus.coinbaseParts(
            tip.height + 1, Consensus.subsidy(tip.height + 1) + fees, utxo.walletScript(0));
    List<Bytes> path = new ArrayList<>();
    for (byte[] b : Hashes.merklePath(leaves)) {
      path.add(Bytes.owned(b));
    }
    template = new Template(tip.hash, mempoolVersion, txs, fees, parts[0], parts[1], path);
    return template;
  }

  /** Records a template announcement: BlockTemplateUpdated, then a new MiningJobCreated. */
  void emitTemplate() {
    Template t = template();
    BlockEntry tip = index.tip();
    out.emit(
        EventType.BlockTemplateUpdated,
        new EventPayloads.BlockTemplateUpdated(tip.hash, tip.height + 1, t.txs.size()));
    currentJob = "job-" + (++jobCounter);
    out.emit(
        EventType.MiningJobCreated,
        new EventPayloads.MiningJobCreated(currentJob, tip.hash, tip.height + 1));
    templateDirty = false;
    lastTemplateMillis = clock.millis();
  }

  /** Announces the template when the mempool changed and the last one is old enough. */
  void maybeEmitTemplate() {
    long interval = Math.round(settings.templateIntervalSeconds() * 1000);
    if (templateDirty
        && (lastTemplateMillis == Long.MIN_VALUE
            || clock.millis() - lastTemplateMillis >= interval)) {
      emitTemplate();
    }
  }

  /**
   * Mempool transactions for a block on the tip, at most {@code limit}, highest fee rate first,
   * each after the transactions it spends: a transaction is taken once all its inputs are in the
   * UTXO set or created by one already taken.
   */
  List<Tx> select(int limit) {
    List<Mempool.Entry> candidates = new ArrayList<>(mempool.entries());
    candidates.sort(
        Comparator.comparingDouble(Mempool.Entry::feeRate)
            .reversed()
            .thenComparingLong(Mempool.Entry::seq));
    Set<Outpoint> created = new HashSet<>();
    Set<String> taken = new HashSet<>();
    List<Tx> selected = new ArrayList<>();
    boolean progress = true;
    for (int pass = 0; progress && selected.size() < limit && pass < 25; pass++) {
      progress = false;
      for (Mempool.Entry e : candidates) {
        if (selected.size() >= limit) {
          break;
        }
        Tx tx = e.tx();
        if (taken.contains(tx.txid()) || !available(tx, created)) {
          continue;
        }
        taken.add(tx.txid());
        selected.add(tx);
        for (int i = 0; i < tx.outputs().size(); i++) {
          created.add(new Outpoint(tx.txid(), i));
        }
        progress = true;
      }
    }
    return selected;
  }

  private boolean available(Tx tx, Set<Outpoint> created) {
    for (TxIn in : tx.inputs()) {
      if (!utxo.contains(in.prevout()) && !created.contains(in.prevout())) {
        return false;
      }
    }
    return true;
  }
}
