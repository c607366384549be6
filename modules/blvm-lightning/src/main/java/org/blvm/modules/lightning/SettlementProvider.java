package org.blvm.modules.lightning;

import java.io.IOException;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;

/**
 * Decides where each watched payment stands: the part of the module that knows how payments arrive.
 * The module keeps the payments ({@link Ledger}: state, persistence, reports) and hands a provider
 * every request; the provider follows its source of truth and moves payments through the ledger.
 * Only {@code onchain} exists ({@link OnchainProvider}: the node's chain and mempool); a provider
 * for a Lightning node implementation would follow that node's invoices instead.
 *
 * <p>Contract: every method runs on the module's one watcher thread, in the order the events
 * arrived, so a provider needs no locking; it may call the node and block. It never reports by
 * itself: it calls {@link Ledger#update} with the payment's new standing and the ledger reports
 * each state change once.
 */
interface SettlementProvider {
  /**
   * Registers, before the module connects, the node events the provider follows; each handler must
   * hand its work to {@code watcher} rather than run it on the SDK's event thread.
   */
  void register(ModuleClient.Builder builder, Watcher watcher);

  /** Once connected, before any work runs: the ledger to move payments through, the node. */
  void start(Ledger ledger, NodeApi api);

  /**
   * Brings every open payment up to date with the node: at start (after a restart the module missed
   * events) and after the node reported dropped events.
   */
  void resync() throws NodeApiException, IOException;

  /** A new request was added to the ledger. */
  void watch(Payment payment) throws NodeApiException, IOException;

  /** Runs work on the module's watcher thread. */
  @FunctionalInterface
  interface Watcher {
    void submit(String what, Work work);
  }

  /** One piece of work on the watcher thread. */
  @FunctionalInterface
  interface Work {
    void run() throws Exception;
  }
}
