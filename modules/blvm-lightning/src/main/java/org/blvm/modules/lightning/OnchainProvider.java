package org.blvm.modules.lightning;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;

/**
 * The {@code onchain} provider: a request is paid by a transaction with outputs to its address
 * worth at least its amount, seen in the mempool ({@code MempoolTransactionAdded}, read with {@code
 * get_transaction}) or in a block ({@code NewBlock}, {@code get_block}); it is settled once that
 * transaction has the configured confirmations on the main chain, goes back to pending when a block
 * holding it is disconnected ({@code BlockDisconnected}), and fails when a block with a time at or
 * after its expiry arrives while nothing paid it, or after its expiry once the paying transaction
 * has left the mempool unconfirmed ({@code get_mempool_transaction}). Time is the node's as block
 * times carry it.
 */
final class OnchainProvider implements SettlementProvider {
  /** Blocks scanned at most when catching up after a restart. */
  static final int MAX_RESCAN_BLOCKS = 1000;

  /** Transactions remembered as checked against every waiting address. */
  static final int CHECKED_TXIDS = 20_000;

  private final IntSupplier confirmations;
  private final IntSupplier finalDepth;
  private Ledger ledger;
  private NodeApi api;

  private String tipHash;
  private long tipHeight = -1;
  private long tipTime;

  /** Txids whose outputs were compared with every address then waiting (LRU). */
  private final Map<String, Boolean> checked =
      new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
          return size() > CHECKED_TXIDS;
        }
      };

  /** {@code confirmations} and {@code finalDepth} are read at each evaluation (config reloads). */
  OnchainProvider(IntSupplier confirmations, IntSupplier finalDepth) {
    this.confirmations = confirmations;
    this.finalDepth = finalDepth;
  }

  @Override
  public void start(Ledger l, NodeApi a) {
    this.ledger = l;
    this.api = a;
  }

  @Override
  public void register(ModuleClient.Builder builder, Watcher watcher) {
    builder
        .onEvent(
            EventType.NewBlock,
            EventPayloads.NewBlock.class,
            (e, b) -> watcher.submit("block " + b.height(), () -> onBlock(b)))
        .onEvent(
            EventType.BlockDisconnected,
            EventPayloads.BlockDisconnected.class,
            (e, d) -> watcher.submit("disconnected " + d.height(), () -> onDisconnected(d)))
        .onEvent(
            EventType.MempoolTransactionAdded,
            EventPayloads.MempoolTransactionAdded.class,
            (e, t) -> watcher.submit("mempool " + t.txid(), () -> onMempool(t.txid())));
  }

  @Override
  public void watch(Payment payment) {
    // nothing to do until a transaction or a block arrives
  }

  @Override
  public void resync() throws NodeApiException, IOException {
    Api.ChainTip tip = api.getChainTip();
    tipHash = tip.hash();
    tipHeight = tip.height();
    tipTime = api.getBlockHeader(tip.hash()).time();
    for (Payment p : ledger.payments()) {
      if (p.txid() != null) {
        ledger.update(locate(p));
      }
    }
    long from = ledger.scannedHeight() < 0 ? tipHeight + 1 : ledger.scannedHeight() + 1;
    from = Math.max(from, tipHeight - MAX_RESCAN_BLOCKS + 1);
    for (long h = from; h <= tipHeight && hasWaiting(); h++) {
      Api.Block b = api.getBlockByHeight(h);
      scan(b.header().hash(), h, b.txids());
    }
    if (hasWaiting()) {
      for (Api.MempoolEntry m : api.getMempoolTransactions()) {
        onMempool(m.txid());
      }
    }
    ledger.scannedHeight(tipHeight);
    evaluate();
  }

  private Payment locate(Payment p) throws NodeApiException {
    Api.Transaction t;
    try {
      t = api.getTransaction(p.txid());
    } catch (NodeApiException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        throw e;
      }
      return p.height() < 0 ? p : left(p, "paying transaction not found");
    }
    if (t.blockHash() != null && t.blockHash().equals(p.blockHash())) {
      return p;
    }
    Payment q = p.height() < 0 ? p : left(p, "block " + p.blockHash() + " left the main chain");
    return t.blockHash() == null
        ? q
        : q.confirmedIn(p.txid(), t.blockHash(), api.getBlockHeader(t.blockHash()).height());
  }

  /**
   * The block holding the paying transaction left the main chain: unconfirmed, and a settled
   * payment is pending again.
   */
  private static Payment left(Payment p, String why) {
    Payment q = p.unconfirmed(p.txid(), why);
    return p.state() == Payment.State.SETTLED ? q.inState(Payment.State.PENDING, why) : q;
  }

  void onBlock(EventPayloads.NewBlock b) throws NodeApiException, IOException {
    tipHash = b.hash();
    tipHeight = b.height();
    tipTime = b.time();
    if (needsScan()) {
      scan(b.hash(), b.height(), api.getBlock(b.hash()).txids());
    }
    ledger.scannedHeight(b.height());
    evaluate();
  }

  /**
   * Only the payments in the block are touched; the rest waits for the next NewBlock, so that the
   * lower tip in the middle of a reorg changes nothing else.
   */
  void onDisconnected(EventPayloads.BlockDisconnected d) throws IOException {
    for (Payment p : ledger.payments()) {
      if (d.hash().equals(p.blockHash())) {
        ledger.update(left(p, "block " + d.hash() + " at height " + d.height() + " left"));
      }
    }
    tipHash = null;
    tipHeight = d.height() - 1;
    ledger.scannedHeight(Math.min(ledger.scannedHeight(), tipHeight));
  }

  void onMempool(String txid) throws NodeApiException, IOException {
    if (!hasWaiting() || checked.containsKey(txid)) {
      return;
    }
    Api.Transaction t;
    try {
      t = api.getTransaction(txid);
    } catch (NodeApiException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return; // gone again already
      }
      throw e;
    }
    if (t.blockHash() == null) {
      match(t, null, -1);
    }
  }

  /** Looks at each transaction of a main-chain block for the payments not yet confirmed. */
  private void scan(String hash, long height, List<String> txids)
      throws NodeApiException, IOException {
    Map<String, Payment> byTxid = new HashMap<>();
    for (Payment p : ledger.payments()) {
      if (p.txid() != null && p.height() < 0) {
        byTxid.put(p.txid(), p);
      }
    }
    for (String txid : txids) {
      Payment known = byTxid.get(txid);
      if (known != null) {
        ledger.update(known.confirmedIn(txid, hash, height));
      } else if (hasWaiting() && !checked.containsKey(txid)) {
        match(api.getTransaction(txid), hash, height);
      }
    }
  }

  /** Compares a transaction's outputs with every waiting address. */
  private void match(Api.Transaction t, String block, long height) throws IOException {
    checked.put(t.txid(), Boolean.TRUE);
    Map<String, Long> paid = new HashMap<>();
    for (Api.TxOutput o : t.outputs()) {
      if (o.address() != null) {
        paid.merge(o.address(), o.amountSats(), Long::sum);
      }
    }
    for (Payment p : ledger.payments()) {
      if (p.state() == Payment.State.WAITING
          && paid.getOrDefault(p.address(), 0L) >= p.amountSats()) {
        Payment seen = p.unconfirmed(t.txid(), null);
        // seen in the mempool: pending at once; in a block: the evaluation that follows decides
        ledger.update(
            block == null
                ? seen.inState(Payment.State.PENDING, null)
                : seen.confirmedIn(t.txid(), block, height));
      }
    }
  }

  /** Applies the tip to every payment: confirmations, settlement, expiry, retirement. */
  private void evaluate() throws IOException, NodeApiException {
    int needed = confirmations.getAsInt();
    for (Payment p : ledger.payments()) {
      if (p.isFailed()) {
        ledger.remove(p.requestId());
        continue;
      }
      long c = p.height() >= 0 && tipHeight >= p.height() ? tipHeight - p.height() + 1 : 0;
      Payment q = p.withConfirmations(c);
      if (p.txid() == null) {
        if (tipTime >= p.expiresAt()) {
          q = q.inState(Payment.State.FAILED, "expired");
        }
      } else if (p.height() >= 0 && c >= needed) {
        q = p.state() == Payment.State.SETTLED ? q : q.inState(Payment.State.SETTLED, null);
      } else if (p.state() == Payment.State.SETTLED && p.height() >= 0) {
        // still in its block: fewer confirmations only while a reorg is being connected
      } else if (p.state() != Payment.State.PENDING) {
        q = q.inState(Payment.State.PENDING, p.reason());
      } else if (c == 0 && tipTime >= p.expiresAt() && dropped(p.txid())) {
        q = q.inState(Payment.State.FAILED, "payment transaction dropped");
      }
      ledger.update(q);
      if (q.state() == Payment.State.FAILED
          || (q.state() == Payment.State.SETTLED && c >= finalDepth.getAsInt())) {
        ledger.remove(q.requestId());
      }
    }
  }

  /** Whether the transaction is in neither the mempool nor a main-chain block. */
  private boolean dropped(String txid) throws NodeApiException {
    try {
      api.getMempoolTransaction(txid);
      return false;
    } catch (NodeApiException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        throw e;
      }
    }
    try {
      return api.getTransaction(txid).blockHash() == null;
    } catch (NodeApiException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return true;
      }
      throw e;
    }
  }

  private boolean hasWaiting() {
    for (Payment p : ledger.payments()) {
      if (p.state() == Payment.State.WAITING) {
        return true;
      }
    }
    return false;
  }

  private boolean needsScan() {
    for (Payment p : ledger.payments()) {
      if (p.state() == Payment.State.WAITING || (p.txid() != null && p.height() < 0)) {
        return true;
      }
    }
    return false;
  }

  String tipHash() {
    return tipHash;
  }
}
