package org.blvm.node;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * The chain, its UTXO set, the mempool and the node's own (simulated) wallet, with Bitcoin Core's
 * block and transaction checks and reject reasons (docs/simulation.md). Not thread-safe: {@link
 * SimulatedChain} guards it with its lock. Every state change records its events in the outbox, in
 * order.
 */
final class ChainState {
  static final long COIN = 100_000_000L;
  static final long MAX_MONEY = 21_000_000L * COIN;
  static final int VERSION = 0x20000000;
  static final int EXTRANONCE_SIZE = 8;
  static final int MAX_FORK_DEPTH = 100;
  static final int MAX_SIDE_BLOCKS = 1000;
  static final int MAX_INVALID = 1000;
  static final long MAX_FUTURE_SECONDS = 2 * 60 * 60;
  static final int MAX_BLOCK_BYTES = 4_000_000;
  static final int MAX_TX_BYTES = 400_000;
  static final long DUST = 546;
  static final double MIN_RELAY_FEE_RATE = 1.0;
  static final int WALLET_SIZE = 32;
  static final long HALVING_INTERVAL = 210_000;
  static final String ZERO_HASH = "00".repeat(32);

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
  private final BigInteger target;
  private final byte[] targetBytes;
  private final String hrp;
  private final SplitMix64 random;
  private final EventOutbox out;

  private final Map<String, BlockEntry> blocks = new HashMap<>();
  private final Map<String, BlockEntry> side = new LinkedHashMap<>();
  private final List<BlockEntry> main = new ArrayList<>();
  private final Map<String, BlockEntry> txIndex = new HashMap<>();
  private final Map<Outpoint, Coin> utxo = new HashMap<>();
  private final Set<String> invalid = new LinkedHashSet<>();
  private final Mempool mempool = new Mempool();
  private final List<Bytes> walletScripts = new ArrayList<>();
  private final Set<Bytes> walletScriptSet = new HashSet<>();
  private final List<Outpoint> walletCoins = new ArrayList<>();
  private final Map<Outpoint, Integer> walletPos = new HashMap<>();
  private final Set<String> ownTxids = new LinkedHashSet<>();

  private long nowMillis;
  private long prunedBelow;
  private long blocksSubmitted;
  private long extranonce;
  private double feeRate = 5.0;
  private long mempoolVersion;
  private Template template;
  private boolean templateDirty;
  private long lastTemplateMillis = Long.MIN_VALUE;
  private long jobCounter;
  private String currentJob;

  /**
   * Builds the genesis block and {@code initialBlocks} more, spaced by the block interval (600 s
   * when simulated blocks are off) and ending before {@code startMillis}, without events.
   */
  ChainState(SimulationSettings settings, long startMillis, SplitMix64 random, EventOutbox out) {
    this.settings = settings;
    this.target = settings.target();
    this.targetBytes = CompactTarget.bytes(target);
    this.hrp = settings.addressPrefix();
    this.random = random;
    this.out = out;
    for (int i = 0; i < WALLET_SIZE; i++) {
      Bytes script = Scripts.p2wpkh(random.nextBytes(20));
      walletScripts.add(script);
      walletScriptSet.add(script);
    }
    double spacing = settings.blockIntervalSeconds() > 0 ? settings.blockIntervalSeconds() : 600.0;
    out.quiet(true);
    try {
      for (int h = 0; h <= settings.initialBlocks(); h++) {
        nowMillis = startMillis - Math.round((settings.initialBlocks() - h) * spacing * 1000);
        BlockEntry e = mineOn(main.isEmpty() ? null : tip(), List.of(), 0);
        store(e);
        requireConnected(connect(e), e);
      }
    } finally {
      out.quiet(false);
    }
    nowMillis = startMillis;
  }

  // ---------------------------------------------------------------- clock and simple reads

  long nowMillis() {
    return nowMillis;
  }

  long nowSeconds() {
    return Math.floorDiv(nowMillis, 1000);
  }

  void advanceTo(long millis) {
    nowMillis = Math.max(nowMillis, millis);
  }

  BlockEntry tip() {
    return main.get(main.size() - 1);
  }

  long height() {
    return main.size() - 1;
  }

  String hrp() {
    return hrp;
  }

  Mempool mempool() {
    return mempool;
  }

  long blocksSubmitted() {
    return blocksSubmitted;
  }

  double feeRate() {
    return feeRate;
  }

  String currentJob() {
    return currentJob;
  }

  BlockEntry block(String hash) {
    return blocks.get(hash);
  }

  BlockEntry mainAt(long h) {
    return h >= 0 && h < main.size() ? main.get((int) h) : null;
  }

  /** The main-chain block holding {@code txid}, or null (also when that block was pruned). */
  BlockEntry blockOf(String txid) {
    return txIndex.get(txid);
  }

  Coin coin(Outpoint o) {
    return utxo.get(o);
  }

  /** Confirmations of a main-chain transaction; 0 when unconfirmed or unknown. */
  long confirmations(String txid) {
    BlockEntry e = txIndex.get(txid);
    return e == null ? 0 : height() - e.height + 1;
  }

  static long subsidy(long height) {
    long halvings = height / HALVING_INTERVAL;
    return halvings >= 64 ? 0 : (50 * COIN) >> halvings;
  }

  /** Median of the times of {@code e} and up to ten blocks before it. */
  static long medianTimePast(BlockEntry e) {
    long[] times = new long[11];
    int n = 0;
    for (BlockEntry b = e; b != null && n < 11; b = b.prev) {
      times[n++] = b.header.time();
    }
    long[] t = Arrays.copyOf(times, n);
    Arrays.sort(t);
    return t[n / 2];
  }

  // ---------------------------------------------------------------- NodeAPI views

  Api.BlockHeader apiHeader(BlockEntry e) {
    Header h = e.header;
    return new Api.BlockHeader(
        e.hash, h.prevHash(), h.merkleRoot(), e.height, h.time(), h.bits(), h.nonce(), h.version());
  }

  Api.Block apiBlock(BlockEntry e) {
    List<String> txids = new ArrayList<>(e.txCount);
    for (Tx tx : e.block.txs()) {
      txids.add(tx.txid());
    }
    return new Api.Block(apiHeader(e), txids, e.size);
  }

  Api.Transaction apiTransaction(Tx tx, String blockHash) {
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
      return apiTransaction(m.tx(), null);
    }
    BlockEntry e = txIndex.get(txid);
    if (e == null || e.pruned()) {
      return null;
    }
    for (Tx tx : e.block.txs()) {
      if (tx.txid().equals(txid)) {
        return apiTransaction(tx, e.hash);
      }
    }
    return null;
  }

  Api.MempoolEntry apiMempoolEntry(Mempool.Entry e) {
    return new Api.MempoolEntry(e.tx().txid(), e.tx().vsize(), e.fee(), e.feeRate());
  }

  Api.Utxo apiUtxo(Outpoint o, Coin c) {
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
   * Estimated fee rate to confirm within {@code targetBlocks}: falls from the base rate to half.
   */
  double feeEstimate(int targetBlocks) {
    double r = feeRate * (0.5 + 0.5 / targetBlocks);
    return Math.max(MIN_RELAY_FEE_RATE, Math.round(r * 100) / 100.0);
  }

  Api.MiningInfo miningInfo() {
    int n = (int) Math.min(120, height());
    double interval = 0;
    if (n > 0) {
      interval = (tip().header.time() - mainAt(height() - n).header.time()) / (double) n;
    }
    if (interval <= 0) {
      interval = settings.blockIntervalSeconds() > 0 ? settings.blockIntervalSeconds() : 600.0;
    }
    return new Api.MiningInfo(
        height(),
        settings.targetBits(),
        CompactTarget.difficulty(settings.targetBits()),
        CompactTarget.expectedHashes(target) / interval,
        blocksSubmitted);
  }

  // ---------------------------------------------------------------- block templates

  Api.BlockTemplate apiTemplate() {
    Template t = template();
    BlockEntry tip = tip();
    long minTime = medianTimePast(tip) + 1;
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
        subsidy(tip.height + 1) + t.fees,
        txids,
        VERSION,
        Math.max(nowSeconds(), minTime),
        minTime,
        CompactTarget.hex(target),
        t.prefix.hex(),
        t.suffix.hex(),
        EXTRANONCE_SIZE,
        path,
        raw);
  }

  private Template template() {
    BlockEntry tip = tip();
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
        coinbaseParts(tip.height + 1, subsidy(tip.height + 1) + fees, walletScripts.get(0));
    List<Bytes> path = new ArrayList<>();
    for (byte[] b : Hashes.merklePath(leaves)) {
      path.add(Bytes.owned(b));
    }
    template = new Template(tip.hash, mempoolVersion, txs, fees, parts[0], parts[1], path);
    return template;
  }

  /**
   * The coinbase around the extranonce: version 2, one input spending nothing with the input script
   * {@code heightPush || extranonce}, sequence 0xffffffff, one output, lock time 0.
   */
  static Bytes[] coinbaseParts(long height, long value, Bytes payout) {
    byte[] push = Scripts.heightPush(height);
    byte[] prefix =
        new ByteWriter()
            .le32(2)
            .varint(1)
            .bytes(new byte[32])
            .le32(0xffffffffL)
            .varint(push.length + EXTRANONCE_SIZE)
            .bytes(push)
            .toArray();
    byte[] suffix =
        new ByteWriter().le32(0xffffffffL).varint(1).le64(value).varBytes(payout).le32(0).toArray();
    return new Bytes[] {Bytes.owned(prefix), Bytes.owned(suffix)};
  }

  /** Records a template announcement: BlockTemplateUpdated, then a new MiningJobCreated. */
  void emitTemplate() {
    Template t = template();
    BlockEntry tip = tip();
    out.emit(
        EventType.BlockTemplateUpdated,
        new EventPayloads.BlockTemplateUpdated(tip.hash, tip.height + 1, t.txs.size()));
    currentJob = "job-" + (++jobCounter);
    out.emit(
        EventType.MiningJobCreated,
        new EventPayloads.MiningJobCreated(currentJob, tip.hash, tip.height + 1));
    templateDirty = false;
    lastTemplateMillis = nowMillis;
  }

  /** Announces the template when the mempool changed and the last one is old enough. */
  void maybeEmitTemplate() {
    long interval = Math.round(settings.templateIntervalSeconds() * 1000);
    if (templateDirty
        && (lastTemplateMillis == Long.MIN_VALUE || nowMillis - lastTemplateMillis >= interval)) {
      emitTemplate();
    }
  }

  /**
   * Mempool transactions for a block on the tip, highest fee rate first, each after the
   * transactions it spends: a transaction is taken once all its inputs are in the UTXO set or
   * created by one already taken.
   */
  private List<Tx> select(int limit) {
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
      if (!utxo.containsKey(in.prevout()) && !created.contains(in.prevout())) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- mining

  /** Mines a block on {@code parent} (null: genesis) with {@code txs}, paying a wallet address. */
  private BlockEntry mineOn(BlockEntry parent, List<Tx> txs, long fees) {
    long height = parent == null ? 0 : parent.height + 1;
    Bytes payout = walletScripts.get(random.nextInt(WALLET_SIZE));
    Bytes[] parts = coinbaseParts(height, subsidy(height) + fees, payout);
    long time = parent == null ? nowSeconds() : Math.max(nowSeconds(), medianTimePast(parent) + 1);
    String prev = parent == null ? ZERO_HASH : parent.hash;
    while (true) {
      extranonce++;
      byte[] coinbase = new ByteWriter().bytes(parts[0]).le64(extranonce).bytes(parts[1]).toArray();
      List<Tx> all = new ArrayList<>(txs.size() + 1);
      try {
        all.add(Tx.parse(coinbase));
      } catch (DecodeException e) {
        throw new IllegalStateException("the coinbase the chain built does not parse", e);
      }
      all.addAll(txs);
      Block unsolved =
          new Block(new Header(VERSION, prev, root(all), time, settings.targetBits(), 0), all);
      Header solved = grind(unsolved.header());
      if (solved != null) {
        return new BlockEntry(new Block(solved, all), height, parent);
      }
    }
  }

  private static String root(List<Tx> txs) {
    List<byte[]> leaves = new ArrayList<>(txs.size());
    for (Tx tx : txs) {
      leaves.add(tx.txidInternal());
    }
    return Hashes.display(Hashes.merkleRoot(leaves));
  }

  /** The header with the first nonce that meets the target, or null when none of 2^32 does. */
  private Header grind(Header h) {
    byte[] ser = h.serialize();
    MessageDigest md = Hashes.sha256();
    for (long n = 0; n <= 0xffffffffL; n++) {
      ser[76] = (byte) n;
      ser[77] = (byte) (n >>> 8);
      ser[78] = (byte) (n >>> 16);
      ser[79] = (byte) (n >>> 24);
      byte[] hash = md.digest(md.digest(ser));
      if (CompactTarget.meets(hash, targetBytes)) {
        return h.withNonce(n);
      }
    }
    return null;
  }

  /** Mines a block on the tip from the mempool and connects it (the simulated network found it). */
  void mineOnTip() {
    List<Tx> txs = select(settings.maxBlockTransactions());
    BlockEntry e = mineOn(tip(), txs, feesOf(txs));
    store(e);
    requireConnected(activate(e), e);
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
      List<Tx> txs = select(Math.max(1, settings.maxBlockTransactions() / 2));
      BlockEntry e = mineOn(tip(), txs, feesOf(txs));
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
      store(e);
    }
    requireConnected(activate(branch.get(branch.size() - 1)), branch.get(branch.size() - 1));
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
    if (invalid.contains(hash)) {
      return new Api.SubmitBlockResult(false, "duplicate-invalid");
    }
    if (blocks.containsKey(hash)) {
      return new Api.SubmitBlockResult(false, "duplicate");
    }
    BlockEntry prev = blocks.get(b.header().prevHash());
    String reason = checkBlock(b);
    boolean permanent = false;
    if (reason == null) {
      if (invalid.contains(b.header().prevHash())) {
        reason = "bad-prevblk";
      } else if (prev == null) {
        reason = "prev-blk-not-found";
      } else {
        reason = contextualCheck(b, prev);
        permanent = reason != null && !reason.equals("time-too-new");
      }
    }
    if (reason != null) {
      return reject(b, prev, reason, permanent);
    }
    BlockEntry e = new BlockEntry(b, prev.height + 1, prev);
    e.submitted = true;
    store(e);
    if (e.height <= height()) {
      pruneSideBlocks();
      blocksSubmitted++;
      return new Api.SubmitBlockResult(true, "inconclusive");
    }
    BlockEntry[] failed = new BlockEntry[1];
    reason = activate(e, failed);
    if (reason != null) {
      forgetBranch(failed[0]);
      return reject(failed[0].block, failed[0].prev, reason, true);
    }
    blocksSubmitted++;
    return new Api.SubmitBlockResult(true, null);
  }

  private Api.SubmitBlockResult reject(Block b, BlockEntry prev, String reason, boolean mark) {
    if (mark) {
      markInvalid(b.hash());
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

  /** Stores a block that is not on the main chain (yet). */
  private void store(BlockEntry e) {
    blocks.put(e.hash, e);
    side.put(e.hash, e);
  }

  private void markInvalid(String hash) {
    if (invalid.size() >= MAX_INVALID) {
      invalid.remove(invalid.iterator().next());
    }
    invalid.add(hash);
  }

  /** Drops a side block that failed to connect, and every stored block built on it. */
  private void forgetBranch(BlockEntry bad) {
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

  /** Context-free checks, in Bitcoin Core's order (CheckBlock and CheckTransaction). */
  private String checkBlock(Block b) {
    BigInteger t = CompactTarget.decode(b.header().bits());
    if (t == null || !CompactTarget.meets(b.header().hashInternal(), t)) {
      return "high-hash";
    }
    if (b.txs().isEmpty()) {
      return "bad-blk-length";
    }
    if (!Hashes.display(Hashes.merkleRoot(b.leaves())).equals(b.header().merkleRoot())) {
      return "bad-txnmrklroot";
    }
    Set<String> txids = new HashSet<>();
    for (Tx tx : b.txs()) {
      if (!txids.add(tx.txid())) {
        return "bad-txns-duplicate";
      }
    }
    if (b.size() > MAX_BLOCK_BYTES) {
      return "bad-blk-length";
    }
    if (!b.txs().get(0).isCoinbase()) {
      return "bad-cb-missing";
    }
    for (int i = 1; i < b.txs().size(); i++) {
      if (b.txs().get(i).isCoinbase()) {
        return "bad-cb-multiple";
      }
    }
    for (Tx tx : b.txs()) {
      String r = checkTransaction(tx);
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  /** Checks that need the previous block: target, time, fork depth, BIP 34 height. */
  private String contextualCheck(Block b, BlockEntry prev) {
    Header h = b.header();
    if (h.bits() != settings.targetBits()) {
      return "bad-diffbits";
    }
    if (h.time() <= medianTimePast(prev)) {
      return "time-too-old";
    }
    if (h.time() > nowSeconds() + MAX_FUTURE_SECONDS) {
      return "time-too-new";
    }
    BlockEntry fork = prev;
    while (!fork.mainChain) {
      fork = fork.prev;
    }
    if (fork.height < height() - MAX_FORK_DEPTH) {
      return "bad-fork-prior-to-checkpoint";
    }
    byte[] expect = Scripts.heightPush(prev.height + 1);
    Bytes script = b.txs().get(0).inputs().get(0).scriptSig();
    if (script.length() < expect.length) {
      return "bad-cb-height";
    }
    for (int i = 0; i < expect.length; i++) {
      if (script.at(i) != expect[i]) {
        return "bad-cb-height";
      }
    }
    return null;
  }

  /** Bitcoin Core's CheckTransaction: structure and amounts, no context. */
  static String checkTransaction(Tx tx) {
    if (tx.inputs().isEmpty()) {
      return "bad-txns-vin-empty";
    }
    if (tx.outputs().isEmpty()) {
      return "bad-txns-vout-empty";
    }
    long total = 0;
    for (TxOut o : tx.outputs()) {
      if (o.value() < 0) {
        return "bad-txns-vout-negative";
      }
      if (o.value() > MAX_MONEY) {
        return "bad-txns-vout-toolarge";
      }
      total += o.value();
      if (total > MAX_MONEY) {
        return "bad-txns-txouttotal-toolarge";
      }
    }
    Set<Outpoint> seen = new HashSet<>();
    for (TxIn in : tx.inputs()) {
      if (!seen.add(in.prevout())) {
        return "bad-txns-inputs-duplicate";
      }
    }
    if (tx.isCoinbase()) {
      int n = tx.inputs().get(0).scriptSig().length();
      if (n < 2 || n > 100) {
        return "bad-cb-length";
      }
    } else {
      for (TxIn in : tx.inputs()) {
        if (in.prevout().isNull()) {
          return "bad-txns-prevout-null";
        }
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- connect, disconnect, reorg

  private String activate(BlockEntry newTip) {
    return activate(newTip, new BlockEntry[1]);
  }

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
        if (tx.isCoinbase()) {
          continue;
        }
        if (mempool.contains(tx.txid())) {
          mempool.remove(tx.txid());
          ownTxids.remove(tx.txid());
          mempoolChanged();
          out.emit(
              EventType.MempoolTransactionRemoved,
              new EventPayloads.MempoolTransactionRemoved(tx.txid(), "mined"));
        }
        for (TxIn in : tx.inputs()) {
          String spender = mempool.spender(in.prevout());
          if (spender != null) {
            removeWithDescendants(spender, "conflict");
          }
        }
      }
    }
    for (int i = disconnected.size() - 1; i >= 0; i--) {
      for (Tx tx : disconnected.get(i).block.txs()) {
        if (!tx.isCoinbase() && !inNewBranch.contains(tx.txid())) {
          accept(tx);
        }
      }
    }
    if (!disconnected.isEmpty()) {
      List<String> orphans = new ArrayList<>();
      for (Mempool.Entry m : mempool.entries()) {
        for (TxIn in : m.tx().inputs()) {
          if (!utxo.containsKey(in.prevout()) && mempool.output(in.prevout()) == null) {
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
    prune();
  }

  /**
   * Checks a block against the UTXO set of the tip (its parent) and applies it. Changes nothing and
   * returns the reject reason when it fails.
   */
  private String connect(BlockEntry e) {
    Block b = e.block;
    Map<Outpoint, Coin> created = new LinkedHashMap<>();
    Set<Outpoint> spent = new LinkedHashSet<>();
    List<Coin> undo = new ArrayList<>();
    long fees = 0;
    for (Tx tx : b.txs()) {
      for (int v = 0; v < tx.outputs().size(); v++) {
        if (utxo.containsKey(new Outpoint(tx.txid(), v))) {
          return "bad-txns-BIP30";
        }
      }
      if (!tx.isCoinbase()) {
        long in = 0;
        for (TxIn input : tx.inputs()) {
          Outpoint o = input.prevout();
          Coin c = created.containsKey(o) ? created.get(o) : utxo.get(o);
          if (c == null || !spent.add(o)) {
            return "bad-txns-inputs-missingorspent";
          }
          in += c.output().value();
          undo.add(c);
        }
        if (in > MAX_MONEY) {
          return "bad-txns-inputvalues-outofrange";
        }
        if (tx.outputTotal() > in) {
          return "bad-txns-in-belowout";
        }
        fees += in - tx.outputTotal();
      }
      for (int v = 0; v < tx.outputs().size(); v++) {
        created.put(
            new Outpoint(tx.txid(), v), new Coin(tx.outputs().get(v), e.height, tx.isCoinbase()));
      }
    }
    if (b.txs().get(0).outputTotal() > subsidy(e.height) + fees) {
      return "bad-cb-amount";
    }
    for (Outpoint o : spent) {
      if (created.remove(o) == null) {
        utxoRemove(o);
      }
    }
    for (Map.Entry<Outpoint, Coin> c : created.entrySet()) {
      utxoPut(c.getKey(), c.getValue());
    }
    e.undo = undo;
    e.mainChain = true;
    main.add(e);
    side.remove(e.hash);
    for (Tx tx : b.txs()) {
      txIndex.put(tx.txid(), e);
    }
    template = null;
    return null;
  }

  /** Undoes the tip: its outputs leave the UTXO set, the coins it spent come back. */
  private void disconnectTip() {
    BlockEntry e = tip();
    if (e.pruned() || e.undo == null) {
      throw new IllegalStateException("cannot disconnect pruned block " + e.hash);
    }
    List<Tx> txs = e.block.txs();
    int u = e.undo.size();
    for (int i = txs.size() - 1; i >= 0; i--) {
      Tx tx = txs.get(i);
      for (int v = 0; v < tx.outputs().size(); v++) {
        utxoRemove(new Outpoint(tx.txid(), v));
      }
      if (!tx.isCoinbase()) {
        for (int k = tx.inputs().size() - 1; k >= 0; k--) {
          utxoPut(tx.inputs().get(k).prevout(), e.undo.get(--u));
        }
      }
      txIndex.remove(tx.txid(), e);
    }
    e.undo = null;
    e.mainChain = false;
    main.remove(main.size() - 1);
    side.put(e.hash, e);
    template = null;
  }

  private void utxoPut(Outpoint o, Coin c) {
    utxo.put(o, c);
    if (walletScriptSet.contains(c.output().script()) && !walletPos.containsKey(o)) {
      walletPos.put(o, walletCoins.size());
      walletCoins.add(o);
    }
  }

  private void utxoRemove(Outpoint o) {
    if (utxo.remove(o) == null) {
      return;
    }
    Integer i = walletPos.remove(o);
    if (i != null) {
      Outpoint last = walletCoins.remove(walletCoins.size() - 1);
      if (i < walletCoins.size()) {
        walletCoins.set(i, last);
        walletPos.put(last, i);
      }
    }
  }

  /** Drops bodies beyond {@code keep_block_bodies} and side blocks too deep to matter. */
  private void prune() {
    long keepFrom = height() - settings.keepBlockBodies() + 1;
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

  private void pruneSideBlocks() {
    List<BlockEntry> sorted = new ArrayList<>(side.values());
    sorted.sort(Comparator.comparingLong((BlockEntry e) -> e.height).thenComparing(e -> e.hash));
    int excess = sorted.size() - MAX_SIDE_BLOCKS;
    for (BlockEntry e : sorted) {
      if (excess > 0 || e.height < height() - MAX_FORK_DEPTH) {
        blocks.remove(e.hash);
        side.remove(e.hash);
        excess--;
      }
    }
  }

  // ---------------------------------------------------------------- mempool acceptance

  /** send_transaction: decodes, checks and accepts a transaction into the mempool. */
  Api.SendTransactionResult send(String rawHex) {
    Tx tx;
    try {
      tx = Tx.parse(Hashes.fromHex(rawHex));
    } catch (DecodeException | IllegalArgumentException e) {
      return new Api.SendTransactionResult(null, false, "decode-failed");
    }
    String reason = checkTransaction(tx);
    if (reason == null && tx.isCoinbase()) {
      reason = "coinbase";
    }
    if (reason == null) {
      reason = accept(tx);
    }
    return new Api.SendTransactionResult(tx.txid(), reason == null, reason);
  }

  /**
   * Mempool acceptance (Bitcoin Core's reasons): standard outputs, inputs in the UTXO set or the
   * mempool, no value created, the minimum relay fee, and replacement of conflicting transactions
   * only for a higher fee and fee rate. On success records the removals it caused and
   * MempoolTransactionAdded; returns null, else the reason.
   */
  private String accept(Tx tx) {
    String txid = tx.txid();
    if (tx.size() > MAX_TX_BYTES) {
      return "tx-size";
    }
    if (mempool.contains(txid)) {
      return "txn-already-in-mempool";
    }
    if (txIndex.containsKey(txid)) {
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
    mempoolChanged();
    out.emit(
        EventType.MempoolTransactionAdded,
        new EventPayloads.MempoolTransactionAdded(txid, tx.vsize(), fee, rate));
    while (mempool.size() > settings.maxMempoolTransactions()) {
      removeWithDescendants(mempool.lowestFeeRate().tx().txid(), "evicted");
    }
    return mempool.contains(txid) ? null : "mempool full";
  }

  private void removeWithDescendants(String txid, String reason) {
    for (String t : mempool.withDescendants(txid)) {
      removeOne(t, reason);
    }
  }

  private void removeOne(String txid, String reason) {
    if (mempool.remove(txid) != null) {
      ownTxids.remove(txid);
      mempoolChanged();
      out.emit(
          EventType.MempoolTransactionRemoved,
          new EventPayloads.MempoolTransactionRemoved(txid, reason));
    }
  }

  private void mempoolChanged() {
    mempoolVersion++;
    templateDirty = true;
  }

  // ---------------------------------------------------------------- the node's own wallet

  /** A random confirmed wallet coin no mempool transaction spends, or null after a few tries. */
  private Outpoint freeWalletCoin(Set<Outpoint> exclude) {
    for (int tries = 0; tries < 16 && !walletCoins.isEmpty(); tries++) {
      Outpoint o = walletCoins.get(random.nextInt(walletCoins.size()));
      if (mempool.spender(o) == null && !exclude.contains(o)) {
        return o;
      }
    }
    return null;
  }

  /**
   * A transaction of the simulated economy: one to three wallet coins to one to three wallet
   * outputs (more outputs while the wallet has few coins, more inputs while it has many), at a fee
   * rate around the current one. Returns whether the mempool accepted it.
   */
  boolean simulateTransaction() {
    int nIn = walletCoins.size() > 400 ? 2 + random.nextInt(2) : 1 + random.nextInt(2);
    Set<Outpoint> ins = new LinkedHashSet<>();
    for (int i = 0; i < nIn; i++) {
      Outpoint o = freeWalletCoin(ins);
      if (o != null) {
        ins.add(o);
      }
    }
    if (ins.isEmpty()) {
      return false;
    }
    int nOut = walletCoins.size() < 100 ? 2 + random.nextInt(2) : 1 + random.nextInt(2);
    List<Bytes> change = new ArrayList<>();
    for (int i = 0; i < nOut; i++) {
      change.add(walletScripts.get(random.nextInt(WALLET_SIZE)));
    }
    double rate = Math.max(MIN_RELAY_FEE_RATE, feeRate * (0.5 + 1.5 * random.nextDouble()));
    Tx tx = spend(new ArrayList<>(ins), List.of(), change, rate);
    if (tx == null || accept(tx) != null) {
      return false;
    }
    ownTxids.add(tx.txid());
    return true;
  }

  /**
   * Replaces (BIP 125 style) a random own mempool transaction that nothing spends yet: same inputs,
   * a fee rate 25% higher plus 1 sat/vB, paid from its largest output.
   */
  boolean simulateReplacement() {
    if (ownTxids.isEmpty()) {
      return false;
    }
    List<String> own = new ArrayList<>(ownTxids);
    int start = random.nextInt(own.size());
    for (int i = 0; i < own.size(); i++) {
      String txid = own.get((start + i) % own.size());
      Mempool.Entry old = mempool.get(txid);
      if (old == null || mempool.withDescendants(txid).size() != 1) {
        continue;
      }
      List<TxOut> outs = new ArrayList<>(old.tx().outputs());
      int largest = 0;
      for (int k = 1; k < outs.size(); k++) {
        if (outs.get(k).value() > outs.get(largest).value()) {
          largest = k;
        }
      }
      Tx draft = signedLike(old.tx().inputs(), outs);
      long newFee =
          Math.max(
              (long) Math.ceil(draft.vsize() * (old.feeRate() * 1.25 + 1)),
              old.fee() + (long) Math.ceil(draft.vsize() * MIN_RELAY_FEE_RATE) + 1);
      long value = outs.get(largest).value() - (newFee - old.fee());
      if (value < DUST) {
        return false;
      }
      outs.set(largest, new TxOut(value, outs.get(largest).script()));
      Tx replacement = new Tx(draft.version(), draft.inputs(), outs, 0);
      if (accept(replacement) != null) {
        return false;
      }
      ownTxids.add(replacement.txid());
      return true;
    }
    return false;
  }

  /**
   * Pays {@code amount} to {@code script} from the wallet at 1.5 times the current fee rate;
   * returns the txid, or null when the wallet cannot (the mempool refused, or too few free coins).
   */
  String pay(Bytes script, long amount) {
    Set<Outpoint> ins = new LinkedHashSet<>();
    long total = 0;
    while (total < amount + 100_000 && ins.size() < 5) {
      Outpoint o = freeWalletCoin(ins);
      if (o == null) {
        break;
      }
      ins.add(o);
      total += utxo.get(o).output().value();
    }
    double rate = Math.max(MIN_RELAY_FEE_RATE, feeRate * 1.5);
    Tx tx =
        spend(
            new ArrayList<>(ins),
            List.of(new TxOut(amount, script)),
            List.of(walletScripts.get(random.nextInt(WALLET_SIZE))),
            rate);
    if (tx == null || accept(tx) != null) {
      return null;
    }
    return tx.txid();
  }

  /**
   * A transaction spending {@code ins} to {@code fixed} outputs and the rest, less the fee at
   * {@code rate}, split randomly over {@code change} scripts (a part under the dust limit is left
   * to the fee). Each input gets a witness shaped like a signature and a public key; nothing checks
   * it. Null when the inputs do not cover the outputs and fee.
   */
  private Tx spend(List<Outpoint> ins, List<TxOut> fixed, List<Bytes> change, double rate) {
    if (ins.isEmpty()) {
      return null;
    }
    List<TxIn> inputs = new ArrayList<>();
    long total = 0;
    for (Outpoint o : ins) {
      total += utxo.get(o).output().value();
      inputs.add(new TxIn(o, Bytes.EMPTY, 0xfffffffdL, fakeWitness()));
    }
    double[] weights = new double[change.size()];
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = 0.2 + random.nextDouble();
      sum += weights[i];
    }
    long fixedTotal = 0;
    for (TxOut o : fixed) {
      fixedTotal += o.value();
    }
    long fee = 0;
    Tx tx = null;
    for (int pass = 0; pass < 2; pass++) {
      long rest = total - fixedTotal - fee;
      if (rest < 0) {
        return null;
      }
      List<TxOut> outs = new ArrayList<>(fixed);
      long left = rest;
      for (int i = 0; i < change.size(); i++) {
        long part = i == change.size() - 1 ? left : (long) (rest * (weights[i] / sum));
        left -= part;
        if (part >= DUST) {
          outs.add(new TxOut(part, change.get(i)));
        }
      }
      if (outs.isEmpty()) {
        return null;
      }
      tx = new Tx(2, inputs, outs, 0);
      fee = (long) Math.ceil(tx.vsize() * rate);
    }
    return tx.outputTotal() + fee <= total ? tx : null;
  }

  /** A transaction with {@code inputs}' outpoints, new fake witnesses, and {@code outs}. */
  private Tx signedLike(List<TxIn> inputs, List<TxOut> outs) {
    List<TxIn> fresh = new ArrayList<>();
    for (TxIn in : inputs) {
      fresh.add(new TxIn(in.prevout(), in.scriptSig(), in.sequence(), fakeWitness()));
    }
    return new Tx(2, fresh, outs, 0);
  }

  /** A DER-signature-shaped item (72 bytes) and a compressed-public-key-shaped item (33). */
  private List<Bytes> fakeWitness() {
    byte[] sig = random.nextBytes(72);
    sig[0] = 0x30;
    sig[1] = 69;
    sig[71] = 0x01;
    byte[] key = random.nextBytes(33);
    key[0] = (byte) (2 + random.nextInt(2));
    return List.of(Bytes.owned(sig), Bytes.owned(key));
  }

  /** A random walk of the base fee rate (the estimate and the simulated fees follow it). */
  void simulateFeeChange() {
    double old = feeRate;
    double next = Math.round(old * StrictMath.exp(0.25 * random.nextGaussian()) * 100) / 100.0;
    next = Math.min(1000.0, Math.max(MIN_RELAY_FEE_RATE, next));
    if (next != old) {
      feeRate = next;
      out.emit(EventType.FeeRateChanged, new EventPayloads.FeeRateChanged(old, next));
    }
  }

  /**
   * Checks the invariants the tests rely on: the UTXO set equals the one rebuilt from the main
   * chain's blocks, every mempool input is available, and the wallet index matches the UTXO set.
   * Needs every main-chain body (no pruning yet). Returns a description of the first difference, or
   * null.
   */
  String inconsistency() {
    Map<Outpoint, Coin> rebuilt = new HashMap<>();
    for (BlockEntry e : main) {
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
      if (txIndex.get(e.block.txs().get(0).txid()) != e) {
        return "tx index misses block " + e.height;
      }
    }
    if (!rebuilt.equals(utxo)) {
      return "UTXO set differs from the chain's: " + rebuilt.size() + " vs " + utxo.size();
    }
    for (Mempool.Entry m : mempool.entries()) {
      for (TxIn in : m.tx().inputs()) {
        if (!utxo.containsKey(in.prevout()) && mempool.output(in.prevout()) == null) {
          return "mempool transaction " + m.tx().txid() + " spends a missing output";
        }
        if (!m.tx().txid().equals(mempool.spender(in.prevout()))) {
          return "mempool spender index wrong for " + in.prevout();
        }
      }
      if (txIndex.containsKey(m.tx().txid())) {
        return "mempool transaction " + m.tx().txid() + " is also confirmed";
      }
    }
    long walletInUtxo = 0;
    for (Map.Entry<Outpoint, Coin> c : utxo.entrySet()) {
      if (walletScriptSet.contains(c.getValue().output().script())) {
        walletInUtxo++;
        if (!walletPos.containsKey(c.getKey())) {
          return "wallet index misses " + c.getKey();
        }
      }
    }
    if (walletInUtxo != walletCoins.size()) {
      return "wallet index has " + walletCoins.size() + " coins, the UTXO set " + walletInUtxo;
    }
    return null;
  }
}
