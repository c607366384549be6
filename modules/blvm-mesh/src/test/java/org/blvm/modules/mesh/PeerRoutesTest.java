package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerRoutesTest {
  /** Peer 1's announcement as docs/simulation.md prints it. */
  private static final String SIM_1 =
      "00000008"
          + "0101"
          + "0573696d2d31"
          + "00000010"
          + "0102"
          + "0001"
          + "0a73696d2d312d6c656166"
          + "01";

  private static String announcement(String nodeId, Map<String, Integer> routes) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(LinkCodec.encode(new LinkFrame.Hello(nodeId)));
    b.writeBytes(LinkCodec.encode(new LinkFrame.Announce(routes)));
    return HexFormat.of().formatHex(b.toByteArray());
  }

  private static List<PeerRoutes.Change> announce(PeerRoutes t, long peer, String hex)
      throws Exception {
    return t.announced(peer, hex, hex.length() / 2);
  }

  @Test
  void documentedAnnouncement_routesMarkedWithThePeer() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    t.connected(1, "198.51.100.7:18444");
    List<PeerRoutes.Change> changes = announce(t, 1, SIM_1);
    assertEquals(2, changes.size());
    PeerRoutes.Route leaf = t.route("sim-1-leaf").orElseThrow();
    assertEquals(2, leaf.hops());
    assertEquals("sim-1", leaf.nodeId());
    assertEquals(new PeerRoutes.Peer(1, "198.51.100.7:18444"), leaf.peer());
    assertEquals(1, t.route("sim-1").orElseThrow().hops());
    assertEquals(Map.of(1L, "sim-1"), t.meshPeers());
    assertEquals(List.of(), announce(t, 1, SIM_1), "the same announcement again changes nothing");
  }

  @Test
  void newAnnouncementReplaces_disconnectWithdrawsAll() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    t.connected(3, "203.0.113.9:18444");
    announce(t, 3, announcement("p", Map.of("x", 1, "y", 3)));
    List<PeerRoutes.Change> c = announce(t, 3, announcement("p", Map.of("x", 2)));
    assertEquals(2, c.size(), c.toString());
    assertTrue(t.route("y").isEmpty());
    assertEquals(3, t.route("x").orElseThrow().hops());
    List<PeerRoutes.Change> down = t.disconnected(3);
    assertEquals(2, down.size());
    down.forEach(ch -> assertEquals(null, ch.after()));
    assertTrue(t.routes().isEmpty());
    assertEquals(List.of(), t.disconnected(3));
  }

  @Test
  void fewestHopsWin_thenLowestPeerId_selfAndUnreachableLeftOut() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    announce(t, 5, announcement("p5", Map.of("far", 2, "node-a", 1, "gone", 15)));
    announce(t, 4, announcement("p4", Map.of("far", 2)));
    announce(t, 6, announcement("p6", Map.of("far", 1)));
    assertEquals(6, t.route("far").orElseThrow().peer().peerId());
    t.disconnected(6);
    assertEquals(4, t.route("far").orElseThrow().peer().peerId());
    assertTrue(t.route("node-a").isEmpty());
    assertTrue(t.route("gone").isEmpty());
  }

  @Test
  void malformed_refusedAndNothingChanges() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    announce(t, 1, SIM_1);
    String hello = HexFormat.of().formatHex(LinkCodec.encode(new LinkFrame.Hello("p")));
    for (String bad :
        List.of(
            "",
            "zz",
            hello,
            hello + hello,
            SIM_1 + "00",
            SIM_1.substring(0, SIM_1.length() - 2),
            announcement("p", Map.of()).replace("0101", "0201"))) {
      assertThrows(PeerRoutes.MalformedAnnouncementException.class, () -> announce(t, 1, bad), bad);
    }
    assertThrows(
        PeerRoutes.MalformedAnnouncementException.class,
        () -> t.announced(1, SIM_1, SIM_1.length()),
        "a payload the node cut");
    assertThrows(PeerRoutes.MalformedAnnouncementException.class, () -> t.announced(1, null, 4));
    assertEquals(2, t.routes().size());
  }

  @Test
  void destinationsBounded_thoseSortingLastLeftOut() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    Map<String, Integer> routes = new java.util.HashMap<>();
    for (int i = 0; i < RoutingTable.MAX_DESTINATIONS; i++) {
      routes.put(String.format("d%04d", i), 1);
    }
    announce(t, 1, announcement("p", routes));

    assertEquals(RoutingTable.MAX_DESTINATIONS, t.routes().size());
    assertTrue(t.route("d0511").isPresent());
    assertTrue(t.route("p").isEmpty(), "the peer's own id sorts after every d…");
  }

  @Test
  void peersBounded() throws Exception {
    PeerRoutes t = new PeerRoutes("node-a");
    for (int i = 0; i < PeerRoutes.MAX_PEERS; i++) {
      announce(t, i, announcement("p" + i, Map.of()));
    }
    assertThrows(
        PeerRoutes.MalformedAnnouncementException.class,
        () -> announce(t, 1000, announcement("q", Map.of())));
    announce(t, 0, announcement("p0", Map.of("z", 1)));
    assertEquals(PeerRoutes.MAX_PEERS, t.meshPeers().size());
  }
}
