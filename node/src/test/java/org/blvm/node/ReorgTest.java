package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.junit.jupiter.api.Test;

/** Simulated reorgs: events in order, the chain, the UTXO set and the mempool stay consistent. */
class ReorgTest {
  @Test
  void reorgs_disconnectAndReconnectConsistently() {
    SimulatedChain chain =
        Sims.chain(
            "block_interval_seconds = 2",
            "reorg_probability = 0.5",
            "transactions_per_minute = 600");
    RecordingSink sink = new RecordingSink();
    int reorgs = 0;
    int returned = 0;
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      d.startup();
      for (int step = 0; step < 2000; step++) {
        long heightBefore = chain.height();
        Map<Long, String> before = new HashMap<>();
        for (long h = Math.max(0, heightBefore - 4); h <= heightBefore; h++) {
          before.put(h, chain.getBlockHash(h).orElseThrow());
        }
        sink.clear();
        d.step();
        List<EventOutbox.Event> ev = sink.events;
        int at = sink.types().indexOf(EventType.ChainReorg);
        if (at < 0) {
          continue;
        }
        assertNull(chain.inconsistency(), "after the reorg in step " + step);
        reorgs++;
        EventPayloads.ChainReorg reorg = (EventPayloads.ChainReorg) ev.get(at).payload();
        int depth = reorg.depth();
        assertTrue(depth >= 1 && depth <= 3, "depth " + depth);
        // BlockDisconnected for each removed block, tip first, right before ChainReorg
        for (int i = 0; i < depth; i++) {
          long h = heightBefore - i;
          assertEquals(
              new EventPayloads.BlockDisconnected(before.get(h), h),
              ev.get(at - depth + i).payload());
        }
        assertEquals(before.get(heightBefore), reorg.oldTip());
        assertEquals(before.get(heightBefore - depth), reorg.forkPoint());
        // then the new branch, one block longer, each announced as validated, in height order
        List<EventPayloads.NewBlock> blocks = new ArrayList<>();
        for (EventOutbox.Event e : ev.subList(at + 1, ev.size())) {
          if (e.payload() instanceof EventPayloads.NewBlock nb) {
            blocks.add(nb);
          }
        }
        assertEquals(depth + 1, blocks.size());
        assertEquals(
            EventType.BlockValidationStarted, ev.get(at + 1).type(), "validation before NewBlock");
        assertEquals(heightBefore + 1, chain.height());
        for (int i = 0; i < blocks.size(); i++) {
          long h = heightBefore - depth + 1 + i;
          assertEquals(h, blocks.get(i).height());
          assertEquals(chain.getBlockHash(h).orElseThrow(), blocks.get(i).hash());
        }
        assertEquals(new Api.ChainTip(reorg.newTip(), heightBefore + 1), chain.getChainTip());
        // the removed blocks' transactions went back to the mempool
        Api.Block old = chain.getBlock(reorg.oldTip()).orElseThrow();
        int added = 0;
        for (EventOutbox.Event e : ev.subList(at, ev.size())) {
          if (e.payload() instanceof EventPayloads.MempoolTransactionAdded a
              && old.txids().contains(a.txid())) {
            added++;
            assertTrue(chain.getMempoolTransaction(a.txid()).isPresent());
            assertNull(chain.getTransaction(a.txid()).orElseThrow().blockHash());
          }
        }
        returned += added;
      }
    }
    assertNull(chain.inconsistency());
    assertTrue(reorgs >= 10, "reorgs: " + reorgs);
    assertTrue(returned >= 10, "transactions back in the mempool: " + returned);
  }
}
