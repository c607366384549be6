package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.junit.jupiter.api.Test;

/** Simulated mesh peers: who they are, what they announce and when. */
class MeshPeersTest {
  @Test
  void meshPeers_announceAtConnectAndEveryFiveSeconds_withTheDocumentedBytes() {
    SimulatedChain chain =
        Sims.chain(
            "mesh_peers = 2",
            "initial_peers = 3",
            "peer_changes_per_minute = 0",
            "messages_per_minute = 0");
    RecordingSink sink = new RecordingSink();
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      d.startup();
      List<EventPayloads.MessageReceived> first = announcements(sink);
      assertEquals(2, first.size(), "the first two peers speak mesh, the third does not");
      EventPayloads.MessageReceived m = first.get(0);
      assertEquals(1, m.peerId());
      // hello "sim-1", then an announcement of "sim-1-leaf" at 1 hop (docs/simulation.md)
      assertEquals(
          "00000008"
              + "0101"
              + "0573696d2d31"
              + "00000010"
              + "0102"
              + "0001"
              + "0a73696d2d312d6c656166"
              + "01",
          m.payloadHex());
      assertEquals(m.payloadHex().length() / 2, m.size());
      List<Api.PeerInfo> peers = chain.getNetworkPeers();
      assertEquals(MeshAnnouncement.USER_AGENT, peers.get(0).userAgent());
      assertEquals(MeshAnnouncement.USER_AGENT, peers.get(1).userAgent());
      assertTrue(!peers.get(2).userAgent().equals(MeshAnnouncement.USER_AGENT));

      sink.events.clear();
      int steps = 0;
      while (announcements(sink).isEmpty()) {
        d.step();
        steps++;
        assertTrue(steps <= 60, "no announcement again within 6 s");
      }
      Set<Long> again = new HashSet<>();
      announcements(sink).forEach(a -> again.add(a.peerId()));
      assertEquals(Set.of(1L, 2L), again);
    }
  }

  @Test
  void meshPeers_replacedAfterDisconnecting_atMostTheSettingConnected() {
    SimulatedChain chain =
        Sims.chain(
            "mesh_peers = 1",
            "initial_peers = 2",
            "min_peers = 0",
            "max_peers = 3",
            "peer_changes_per_minute = 600",
            "messages_per_minute = 0");
    RecordingSink sink = new RecordingSink();
    Set<Long> meshSeen = new HashSet<>();
    try (SimulationDriver d = new SimulationDriver(chain, sink)) {
      d.startup();
      for (int step = 0; step < 600; step++) {
        d.step();
        long mesh =
            chain.getNetworkPeers().stream()
                .filter(p -> p.userAgent().equals(MeshAnnouncement.USER_AGENT))
                .count();
        assertTrue(mesh <= 1, "more mesh peers than mesh_peers");
      }
      announcements(sink).forEach(a -> meshSeen.add(a.peerId()));
    }
    assertTrue(meshSeen.size() >= 2, "a disconnected mesh peer was replaced: " + meshSeen);
  }

  private static List<EventPayloads.MessageReceived> announcements(RecordingSink sink) {
    List<EventPayloads.MessageReceived> out = new ArrayList<>();
    for (EventOutbox.Event e : sink.events) {
      if (e.payload() instanceof EventPayloads.MessageReceived m
          && m.command().equals(MeshAnnouncement.COMMAND)) {
        out.add(m);
      }
    }
    return out;
  }
}
