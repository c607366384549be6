package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.junit.jupiter.api.Test;

/** Payment requests: paid ones appear in the mempool, then in a block, then settle. */
class PaymentTest {
  @Test
  void paidRequest_transactionInMempoolThenInABlockThenSettled() {
    SimulatedChain chain =
        Sims.chain(
            "payment_requests_per_minute = 30",
            "payment_paid_probability = 1.0",
            "payment_delay_seconds = 3",
            "payment_confirmations = 2",
            "reorg_probability = 0",
            "block_interval_seconds = 5");
    RecordingSink sink = new RecordingSink();
    EventPayloads.PaymentRequestCreated request = null;
    String payingTx = null;
    String block = null;
    long blockHeight = -1;
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      for (int step = 0; step < 3000; step++) {
        int from = sink.events.size();
        d.step();
        for (EventOutbox.Event e : sink.events.subList(from, sink.events.size())) {
          if (request == null && e.payload() instanceof EventPayloads.PaymentRequestCreated r) {
            request = r;
            assertTrue(r.address().startsWith("bcrt1q"), r.address());
            assertEquals(chain.nowMillis() / 1000 + 300, r.expiresAt());
          } else if (request != null
              && payingTx == null
              && e.payload() instanceof EventPayloads.MempoolTransactionAdded a
              && pays(chain.getTransaction(a.txid()).orElseThrow(), request)) {
            payingTx = a.txid();
          } else if (payingTx != null
              && block == null
              && e.payload() instanceof EventPayloads.NewBlock nb
              && chain.getBlock(nb.hash()).orElseThrow().txids().contains(payingTx)) {
            block = nb.hash();
            blockHeight = nb.height();
          } else if (request != null
              && e.payload() instanceof EventPayloads.PaymentSettled s
              && s.requestId().equals(request.requestId())) {
            assertNotNull(block, "settled before its transaction was mined");
            assertEquals(request.amountSats(), s.amountSats());
            assertEquals(blockHeight + 1, chain.getChainTip().height(), "two confirmations");
            assertEquals(block, chain.getTransaction(payingTx).orElseThrow().blockHash());
            return;
          } else if (request != null
              && e.payload() instanceof EventPayloads.PaymentFailed f
              && f.requestId().equals(request.requestId())) {
            throw new AssertionError("a paid request failed: " + f);
          }
        }
      }
    }
    throw new AssertionError(
        "not settled: request " + request + ", tx " + payingTx + ", block " + block);
  }

  @Test
  void unpaidRequest_failsAtExpiry() {
    SimulatedChain chain =
        Sims.chain(
            "payment_requests_per_minute = 30",
            "payment_paid_probability = 0",
            "payment_expiry_seconds = 20");
    RecordingSink sink = new RecordingSink();
    Map<String, Long> expiries = new HashMap<>();
    int failed = 0;
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      for (int step = 0; step < 600; step++) {
        sink.clear();
        d.step();
        long now = chain.nowMillis() / 1000;
        for (EventOutbox.Event e : sink.events) {
          if (e.payload() instanceof EventPayloads.PaymentRequestCreated r) {
            assertEquals(now + 20, r.expiresAt());
            expiries.put(r.requestId(), r.expiresAt());
          } else if (e.payload() instanceof EventPayloads.PaymentFailed f) {
            assertEquals("expired", f.reason());
            long expiry = expiries.remove(f.requestId());
            // in the first step at or after the expiry, never before
            assertTrue(now >= expiry && chain.nowMillis() - 100 < expiry * 1000, f.toString());
            failed++;
          }
          assertTrue(e.type() != EventType.PaymentSettled, "nothing was paid");
        }
      }
    }
    assertTrue(failed >= 10, "failed: " + failed);
    for (long expiry : expiries.values()) {
      assertTrue(expiry > chain.nowMillis() / 1000, "a request outlived its expiry");
    }
  }

  private static boolean pays(Api.Transaction tx, EventPayloads.PaymentRequestCreated r) {
    for (Api.TxOutput o : tx.outputs()) {
      if (r.address().equals(o.address()) && o.amountSats() == r.amountSats()) {
        return true;
      }
    }
    return false;
  }
}
