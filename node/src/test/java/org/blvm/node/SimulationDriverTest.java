package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.junit.jupiter.api.Test;

class SimulationDriverTest {
  /** Five simulated minutes at the default step of 100 ms. */
  private static final int STEPS = 3000;

  /** Runs {@code steps} steps and closes; returns the events and the main chain's hashes. */
  private static List<Object> run(SimulationSettings s, int steps) {
    SimulatedChain chain = new SimulatedChain(s, Sims.CLOCK);
    RecordingSink sink = new RecordingSink();
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      for (int i = 0; i < steps; i++) {
        d.step();
      }
    }
    List<String> hashes = new ArrayList<>();
    for (long h = 0; h <= chain.height(); h++) {
      hashes.add(chain.getBlockHash(h).orElseThrow());
    }
    return List.of(List.copyOf(sink.events), hashes);
  }

  @Test
  void step_sameSeedTwice_identicalEventsAndBlockHashes() {
    List<Object> a = run(Sims.settings("seed = 42"), STEPS);
    List<Object> b = run(Sims.settings("seed = 42"), STEPS);
    assertEquals(a.get(1), b.get(1));
    assertEquals(a.get(0), b.get(0));
    assertTrue(((List<?>) a.get(0)).size() > 1000, "a busy run: " + ((List<?>) a.get(0)).size());
  }

  @Test
  void step_otherSeed_otherChain() {
    List<Object> a = run(Sims.settings("seed = 42"), 600);
    List<Object> b = run(Sims.settings("seed = 43"), 600);
    assertNotEquals(a.get(1), b.get(1));
  }

  @Test
  void step_defaultRates_everyNodeEventTypeOccursWithinThirtyMinutes() {
    Set<EventType> expected = EnumSet.noneOf(EventType.class);
    for (EventType t : EventType.values()) {
      if (t.group() != EventType.Group.MODULE
          && t.group() != EventType.Group.CONFIG
          && t.group() != EventType.Group.DELIVERY) {
        expected.add(t);
      }
    }
    for (long seed = 1; seed <= 3; seed++) {
      SimulatedChain chain = new SimulatedChain(Sims.settings("seed = " + seed), Sims.CLOCK);
      RecordingSink sink = new RecordingSink();
      Set<EventType> missing = EnumSet.copyOf(expected);
      try (SimulationDriver d = new SimulationDriver(chain, sink)) {
        for (int i = 0; i < 18_000 && missing.size() > 1; i++) {
          d.step();
          missing.removeAll(sink.types());
          sink.clear();
        }
        assertNull(chain.inconsistency());
      }
      missing.removeAll(sink.types());
      assertEquals(Set.of(), missing, "seed " + seed);
    }
  }

  @Test
  void startupAndClose_firstAndLastEvents() {
    SimulatedChain chain = Sims.chain();
    RecordingSink sink = new RecordingSink();
    SimulationDriver d = new SimulationDriver(chain, sink);
    d.startup();
    assertEquals(
        new EventPayloads.NodeStartupCompleted("regtest", 10), sink.events.get(0).payload());
    assertEquals(8, sink.of(EventPayloads.PeerConnected.class).size());
    assertEquals(1, sink.of(EventPayloads.BlockTemplateUpdated.class).size());
    d.close();
    d.close();
    assertEquals(EventType.NodeShutdown, sink.events.get(sink.events.size() - 1).type());
    assertEquals(1, sink.of(EventPayloads.NodeShutdown.class).size());
    assertThrows(IllegalStateException.class, d::step);
  }

  @Test
  void start_runsStepsOnItsNamedThreadUntilClosed() {
    SimulatedChain chain = Sims.chain("step_millis = 10", "block_interval_seconds = 0.5");
    RecordingSink sink = new RecordingSink();
    SimulationDriver d = new SimulationDriver(chain, sink);
    d.start();
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (sink.of(EventPayloads.NewBlock.class).size() < 3 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // poll every millisecond
    }
    assertThrows(IllegalStateException.class, d::step);
    d.close();
    assertTrue(sink.of(EventPayloads.NewBlock.class).size() >= 3, "blocks: " + sink.events);
    assertTrue(sink.threads.contains(SimulationDriver.THREAD_NAME), sink.threads.toString());
    int n = sink.events.size();
    assertEquals(EventType.NodeShutdown, sink.events.get(n - 1).type());
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      assertNotEquals(SimulationDriver.THREAD_NAME, t.getName(), "thread still alive");
    }
  }
}
