package org.blvm.node;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.blvm.loader.NodeBackend;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * A deterministic simulated Bitcoin node behind the NodeAPI: a chain of real 80-byte headers mined
 * on an easy target, transactions in the network serialization with a UTXO set, a mempool, peers,
 * payment requests and governance (docs/simulation.md). The same settings (seed, start time) and
 * the same calls in the same order give the same chain and events, byte for byte.
 *
 * <p>Thread-safe: one lock (this object's monitor) guards all state; NodeAPI calls from loader
 * threads and the {@link SimulationDriver}'s steps take it in turn. Events are recorded in state
 * order while the lock is held and published by the driver after it is released; {@link
 * #submitBlock} and {@link #sendTransaction} have the driver publish theirs before they return.
 */
public final class SimulatedChain implements NodeBackend {
  private final SimulationSettings settings;
  private final EventOutbox outbox = new EventOutbox();
  private final ChainState chain;
  private final PeerNetwork network;
  private final PaymentBook payments;
  private final Governance governance;
  private final SplitMix64 mining;
  private volatile Runnable eventListener = () -> {};

  /** A chain whose clock starts at {@code settings.startTime()} or, when that is 0, now. */
  public SimulatedChain(SimulationSettings settings) {
    this(settings, Clock.systemUTC());
  }

  /** As above, with {@code clock} read once when {@code settings.startTime()} is 0. */
  public SimulatedChain(SimulationSettings settings, Clock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    SplitMix64 root = new SplitMix64(settings.seed());
    long start = settings.startTime() > 0 ? settings.startTime() * 1000 : clock.millis();
    this.chain = new ChainState(settings, start, root.split(), outbox);
    this.network = new PeerNetwork(settings, root.split(), outbox, chain);
    this.payments = new PaymentBook(settings, root.split(), outbox, chain);
    this.governance = new Governance(root.split(), outbox);
    this.mining = root.split();
  }

  public SimulationSettings settings() {
    return settings;
  }

  // ---------------------------------------------------------------- NodeBackend

  @Override
  public synchronized Optional<Api.Block> getBlock(String hash) {
    BlockEntry e = chain.block(hash);
    return e == null || e.pruned() ? Optional.empty() : Optional.of(chain.views().block(e));
  }

  @Override
  public synchronized Optional<Api.BlockHeader> getBlockHeader(String hash) {
    BlockEntry e = chain.block(hash);
    return e == null ? Optional.empty() : Optional.of(chain.views().header(e));
  }

  @Override
  public synchronized Optional<Api.Block> getBlockByHeight(long height) {
    BlockEntry e = chain.mainAt(height);
    return e == null || e.pruned() ? Optional.empty() : Optional.of(chain.views().block(e));
  }

  @Override
  public synchronized Optional<String> getBlockHash(long height) {
    BlockEntry e = chain.mainAt(height);
    return e == null ? Optional.empty() : Optional.of(e.hash);
  }

  @Override
  public synchronized Api.ChainTip getChainTip() {
    return new Api.ChainTip(chain.tip().hash, chain.height());
  }

  @Override
  public synchronized Optional<Api.Transaction> getTransaction(String txid) {
    return Optional.ofNullable(chain.views().transaction(txid));
  }

  @Override
  public synchronized Optional<Api.Utxo> getUtxo(String txid, int vout) {
    Outpoint o = new Outpoint(txid, vout);
    Coin c = chain.coin(o);
    return c == null ? Optional.empty() : Optional.of(chain.views().utxo(o, c));
  }

  @Override
  public synchronized List<Api.MempoolEntry> getMempoolTransactions() {
    return chain.mempool().entries().stream().map(chain.views()::mempoolEntry).toList();
  }

  @Override
  public synchronized Optional<Api.MempoolEntry> getMempoolTransaction(String txid) {
    Mempool.Entry e = chain.mempool().get(txid);
    return e == null ? Optional.empty() : Optional.of(chain.views().mempoolEntry(e));
  }

  @Override
  public synchronized Api.MempoolSize getMempoolSize() {
    return new Api.MempoolSize(chain.mempool().size(), chain.mempool().bytes());
  }

  @Override
  public synchronized Api.FeeEstimate getFeeEstimate(int targetBlocks) {
    return new Api.FeeEstimate(targetBlocks, chain.wallet().feeEstimate(targetBlocks));
  }

  @Override
  public synchronized Api.NetworkStats getNetworkStats() {
    return network.stats();
  }

  @Override
  public synchronized List<Api.PeerInfo> getNetworkPeers() {
    return network.peers();
  }

  @Override
  public synchronized Api.BlockTemplate getBlockTemplate() {
    return chain.templates().apiTemplate();
  }

  @Override
  public synchronized Api.MiningInfo getMiningInfo() {
    return chain.miningInfo();
  }

  /**
   * Validates and stores a block (docs/simulation.md, "submit_block"); when it makes a new tip its
   * events (and, for a reorg, the disconnections) are published before this returns.
   */
  @Override
  public Api.SubmitBlockResult submitBlock(String blockHex) {
    Api.SubmitBlockResult r;
    synchronized (this) {
      String tipBefore = chain.tip().hash;
      r = chain.submit(blockHex);
      if (!chain.tip().hash.equals(tipBefore)) {
        afterNewTip();
      }
    }
    eventListener.run();
    return r;
  }

  /**
   * Checks a transaction and accepts it into the mempool (docs/simulation.md, "send_transaction");
   * MempoolTransactionAdded is published before this returns.
   */
  @Override
  public Api.SendTransactionResult sendTransaction(String rawHex) {
    Api.SendTransactionResult r;
    synchronized (this) {
      r = chain.send(rawHex);
    }
    eventListener.run();
    return r;
  }

  // ---------------------------------------------------------------- simulation steps (driver)

  /** Called (outside the lock) after a NodeAPI call recorded events. */
  void setEventListener(Runnable listener) {
    this.eventListener = Objects.requireNonNull(listener);
  }

  synchronized List<EventOutbox.Event> takeEvents() {
    return outbox.take();
  }

  synchronized boolean hasEvents() {
    return !outbox.isEmpty();
  }

  synchronized void startup() {
    outbox.emit(
        EventType.NodeStartupCompleted,
        new EventPayloads.NodeStartupCompleted(settings.network(), chain.height()));
    network.connectInitial();
    chain.templates().emitTemplate();
  }

  synchronized void shutdown(String reason) {
    outbox.emit(EventType.NodeShutdown, new EventPayloads.NodeShutdown(reason));
  }

  synchronized void advanceBy(long millis) {
    chain.advanceTo(chain.nowMillis() + millis);
  }

  synchronized void transaction() {
    chain.wallet().simulateTransaction();
  }

  synchronized void replacement() {
    chain.wallet().simulateReplacement();
  }

  synchronized void feeChange() {
    chain.wallet().simulateFeeChange();
  }

  synchronized void peerChange() {
    network.churn();
  }

  synchronized void message() {
    network.message();
  }

  synchronized void meshAnnouncements() {
    network.meshAnnouncements();
  }

  synchronized void paymentRequest() {
    payments.create();
  }

  synchronized void governanceEvent() {
    governance.step();
  }

  /** The simulated network finds a block on the tip. */
  synchronized void mineBlock() {
    chain.mineOnTip();
    afterNewTip();
  }

  /** A competing branch replaces the last {@code depth} blocks (at most the chain's height). */
  synchronized void reorg(int depth) {
    int d = (int) Math.min(depth, chain.height());
    if (d < 1) {
      chain.mineOnTip();
    } else {
      chain.reorg(d);
    }
    afterNewTip();
  }

  /** A share of the built-in pool: easier than the network target; 97% are accepted. */
  synchronized void share() {
    String job = chain.templates().currentJob();
    if (job == null) {
      return;
    }
    double difficulty = CompactTarget.difficulty(settings.targetBits()) / (1L << mining.nextInt(5));
    boolean accepted = mining.chance(0.97);
    outbox.emit(
        EventType.ShareSubmitted, new EventPayloads.ShareSubmitted(job, difficulty, accepted));
  }

  /** Due payments are sent, payments settle or fail, a pending template update goes out. */
  synchronized void endOfStep() {
    payments.payDue();
    payments.settle();
    chain.templates().maybeEmitTemplate();
  }

  synchronized long height() {
    return chain.height();
  }

  synchronized long nowMillis() {
    return chain.nowMillis();
  }

  /** Null when the chain's invariants hold, else the first violation (tests call it). */
  synchronized String inconsistency() {
    return chain.inconsistency();
  }

  synchronized long eventsDropped() {
    return outbox.dropped();
  }

  private void afterNewTip() {
    payments.settle();
    chain.templates().emitTemplate();
  }
}
