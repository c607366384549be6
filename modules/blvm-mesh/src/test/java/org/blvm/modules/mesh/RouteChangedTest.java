package org.blvm.modules.mesh;

import static org.blvm.modules.mesh.RunningMesh.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh.route_changed} as the module publishes it (docs/modules.md, "Events it publishes").
 */
class RouteChangedTest {
  @TempDir Path dir;

  private static final String CONFIG =
      "{\"node_id\":\"a\",\"listen\":\"127.0.0.1:7010\",\"announce_interval_ms\":600000}";

  private static List<String> about(RunningMesh m, String destination) {
    return m.client.routeChanges().stream()
        .filter(p -> p.startsWith("{\"destination\":\"" + destination + "\""))
        .toList();
  }

  private static void awaitEvents(RunningMesh m, String destination, int count) {
    until(
        count + " route_changed events for " + destination,
        () -> about(m, destination).size() >= count);
  }

  @Test
  void overLinks_addedChangedWithdrawn_exactPayloads() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      LinkPeer p1 = m.link("p1");
      p1.send(new LinkFrame.Announce(Map.of("c", 2)));
      until("c via p1", () -> m.hasRoute("c", "p1", 3));
      LinkPeer p2 = m.link("p2");
      p2.send(new LinkFrame.Announce(Map.of("c", 1)));
      until("c via p2", () -> m.hasRoute("c", "p2", 2));
      p2.send(new LinkFrame.Announce(Map.of()));
      until("c via p1 again", () -> m.hasRoute("c", "p1", 3));
      p1.send(new LinkFrame.Announce(Map.of()));
      until("c withdrawn", () -> m.node().table().route("c").isEmpty());
      awaitEvents(m, "c", 4);
      awaitEvents(m, "p1", 1);

      assertEquals(
          List.of(
              "{\"destination\":\"p1\",\"state\":\"added\",\"next_hop\":\"p1\",\"hops\":1,"
                  + "\"previous_next_hop\":null,\"peer_id\":null}"),
          about(m, "p1"));
      assertEquals(
          List.of(
              "{\"destination\":\"c\",\"state\":\"added\",\"next_hop\":\"p1\",\"hops\":3,"
                  + "\"previous_next_hop\":null,\"peer_id\":null}",
              "{\"destination\":\"c\",\"state\":\"changed\",\"next_hop\":\"p2\",\"hops\":2,"
                  + "\"previous_next_hop\":\"p1\",\"peer_id\":null}",
              "{\"destination\":\"c\",\"state\":\"changed\",\"next_hop\":\"p1\",\"hops\":3,"
                  + "\"previous_next_hop\":\"p2\",\"peer_id\":null}",
              "{\"destination\":\"c\",\"state\":\"withdrawn\",\"next_hop\":null,\"hops\":16,"
                  + "\"previous_next_hop\":\"p1\",\"peer_id\":null}"),
          about(m, "c"));
      assertTrue(
          m.client.logged(Message.LogLevel.INFO, "route to \"c\" changed: via \"p2\", 2 hops"),
          m.client.logs::toString);

      assertEquals(
          List.of("blvm-mesh-out"),
          m.client.published.stream().map(FakeClient.Published::thread).distinct().toList(),
          "published in order on one thread, never on a link's");

      p2.close();
      until("p2's link down withdraws it", () -> about(m, "p2").size() == 2);
      assertEquals(
          "{\"destination\":\"p2\",\"state\":\"withdrawn\",\"next_hop\":null,\"hops\":16,"
              + "\"previous_next_hop\":\"p2\",\"peer_id\":null}",
          about(m, "p2").get(1));
    }
  }

  /** A {@code meshannounce} payload: the hello of {@code nodeId}, then an announce of routes. */
  static String meshAnnounce(String nodeId, Map<String, Integer> routes) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(LinkCodec.encode(new LinkFrame.Hello(nodeId)));
    b.writeBytes(LinkCodec.encode(new LinkFrame.Announce(routes)));
    return HexFormat.of().formatHex(b.toByteArray());
  }

  static void announceFromPeer(RunningMesh m, long peerId, String address, String nodeId) {
    m.mesh.p2p.onPeerConnected(new EventPayloads.PeerConnected(peerId, address, false));
    String hex = meshAnnounce(nodeId, Map.of(nodeId + "-leaf", 1));
    m.mesh.p2p.onMessage(
        new EventPayloads.MessageReceived(peerId, PeerRoutes.COMMAND, hex.length() / 2, hex));
  }

  @Test
  void fromP2pPeer_malformed_ignoredWithAWarning_neverAnnouncedToLinks() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      LinkPeer p1 = m.link("p1");
      m.mesh.p2p.onMessage(new EventPayloads.MessageReceived(9, PeerRoutes.COMMAND, 2, "0101"));
      announceFromPeer(m, 7, "198.51.100.7:18444", "sim-7");
      awaitEvents(m, "sim-7-leaf", 1);

      // a change of the links' table makes the module announce its whole table to p1
      p1.send(new LinkFrame.Announce(Map.of("x", 1)));
      LinkFrame.Announce a;
      do {
        a = p1.nextAnnounce(RunningMesh.WAIT);
      } while (a != null && !a.routes().containsKey("x"));

      assertEquals(Map.of("x", 16), a == null ? null : a.routes(), "no route learned from a peer");
      assertTrue(
          m.client.logged(Message.LogLevel.WARN, "announcement from P2P peer 9 ignored: "),
          m.client.logs::toString);
      assertEquals(List.of(), about(m, "sim-9"));
    }
  }

  @Test
  void fromP2pPeer_peerIdSet_addedThenWithdrawnOnDisconnect() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      announceFromPeer(m, 7, "198.51.100.7:18444", "sim-7");
      awaitEvents(m, "sim-7-leaf", 1);

      m.mesh.p2p.onPeerDisconnected(new EventPayloads.PeerDisconnected(7, "gone"));
      awaitEvents(m, "sim-7-leaf", 2);

      assertEquals(
          List.of(
              "{\"destination\":\"sim-7-leaf\",\"state\":\"added\",\"next_hop\":\"sim-7\","
                  + "\"hops\":2,\"previous_next_hop\":null,\"peer_id\":7}",
              "{\"destination\":\"sim-7-leaf\",\"state\":\"withdrawn\",\"next_hop\":null,"
                  + "\"hops\":16,\"previous_next_hop\":\"sim-7\",\"peer_id\":7}"),
          about(m, "sim-7-leaf"));
      assertTrue(
          m.client.logged(
              Message.LogLevel.INFO,
              "route to \"sim-7-leaf\" added (learned from P2P peer 7 (198.51.100.7:18444)): via"
                  + " node \"sim-7\", 2 hops"),
          m.client.logs::toString);
    }
  }
}
