package org.blvm.modules.mesh;

import static org.blvm.modules.mesh.RunningMesh.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A ConfigLoaded applies without a restart (docs/modules.md, blvm-mesh "Configuration"). */
class MeshReloadTest {
  @TempDir Path dir;

  private static String config(String extra) {
    return "{\"node_id\":\"a\",\"listen\":\"127.0.0.1:7010\",\"announce_interval_ms\":600000"
        + extra
        + "}";
  }

  /** Links p1, then sees the link of p2 closed. */
  private static void assertOneLinkAtMost(RunningMesh m, String why) throws IOException {
    m.link("p1");
    LinkPeer p2 = LinkPeer.linked(m.client.listenPort(), "p2");
    until(why + ": the link of p2 is closed", () -> p2.ended != null);
    p2.close();
  }

  @Test
  void reloadWithoutItsTable_orWithWronglyTypedValues_refused_theLastGoodConfigKept()
      throws Exception {
    try (RunningMesh m = RunningMesh.start(config(",\"max_links\":1"), dir)) {
      m.reloadVisible("{\"network\":{\"port\":8333}}");
      m.reloadVisible("{\"modules\":{\"blvm-mesh\":\"max_links = 2\"}}");
      m.reload(config(",\"max_links\":\"2\""));
      m.reload(config(",\"peers\":\"127.0.0.1:7011\",\"max_links\":4294967298"));

      assertTrue(
          m.client.logged(
              Message.LogLevel.ERROR,
              "config refused, keeping the last good one: no table modules.blvm-mesh"),
          m.client.logs::toString);
      assertTrue(
          m.client.logged(
              Message.LogLevel.ERROR, "max_links must be an integer from 1 to 64, found \"2\""),
          m.client.logs::toString);
      assertTrue(
          m.client.logged(
              Message.LogLevel.ERROR,
              "peers must be an array of \"host:port\"; max_links must be an integer from 1 to 64, found 4294967298"),
          m.client.logs::toString);
      assertFalse(
          m.client.logged(Message.LogLevel.INFO, "config applied"), m.client.logs::toString);
      assertOneLinkAtMost(m, "max_links 1 kept");
    }
  }

  @Test
  void maxLinks_lowered_aLinkOverTheNewLimitIsClosed() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(""), dir)) {
      m.reload(config(",\"max_links\":1"));

      assertOneLinkAtMost(m, "max_links 1 applies");
      assertTrue(
          m.client.logged(Message.LogLevel.WARN, "link from a peer refused: max_links (1) reached"),
          m.client.logs::toString);
      assertEquals(List.of("p1"), m.node().table().neighbours());

      m.reload(config(",\"max_links\":2"));
      m.link("p3");
      assertEquals(List.of("p1", "p3"), m.node().table().neighbours());
    }
  }

  @Test
  void announceInterval_shortened_periodicAnnouncementsFollowIt() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(""), dir)) {
      LinkPeer p1 = m.link("p1");
      // p1 offers x: the table changes once, and the announcement after it (x poisoned back to p1)
      // is the last one an unchanged table sends before the next period
      p1.send(new LinkFrame.Announce(Map.of("x", 1)));
      LinkFrame.Announce a;
      do {
        a = p1.nextAnnounce(RunningMesh.WAIT);
        assertNotNull(a, "the announcement after the change");
      } while (!a.routes().containsKey("x"));

      m.reload(config(",\"announce_interval_ms\":1000"));
      p1.send(new LinkFrame.Announce(Map.of("x", 1))); // heard from: the link stays

      LinkFrame.Announce periodic = p1.nextAnnounce(RunningMesh.WAIT);
      assertNotNull(periodic, "a periodic announcement with the new interval");
      assertEquals(Map.of("x", 16), periodic.routes(), "x poisoned back to p1, p1 left out");
    }
  }

  @Test
  void nodeIdOrListen_changed_warningNamesTheKey_restOfTheChangeApplies() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(""), dir)) {
      m.reload(
          "{\"node_id\":\"b\",\"listen\":\"127.0.0.1:7011\",\"announce_interval_ms\":600000,"
              + "\"max_links\":1}");

      assertTrue(
          m.client.logged(
              Message.LogLevel.WARN,
              "node_id changed from \"a\" to \"b\": it takes effect after a restart of the module,"
                  + " \"a\" stays in use"),
          m.client.logs::toString);
      assertTrue(
          m.client.logged(
              Message.LogLevel.WARN,
              "listen changed from \"127.0.0.1:7010\" to \"127.0.0.1:7011\": it takes effect after"
                  + " a restart of the module"),
          m.client.logs::toString);
      assertEquals("a", m.node().table().self());
      assertOneLinkAtMost(m, "max_links 1 applies");
    }
  }

  @Test
  void invalid_refusedNamingTheKey_lastGoodKept() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(",\"max_links\":1"), dir)) {
      m.reload(config(",\"max_links\":0,\"colour\":\"red\""));

      assertTrue(
          m.client.logged(
              Message.LogLevel.ERROR,
              "config refused, keeping the last good one: unknown key \"colour\""),
          m.client.logs::toString);
      assertTrue(
          m.client.logged(Message.LogLevel.ERROR, "max_links must be an integer from 1 to 64"),
          m.client.logs::toString);
      assertOneLinkAtMost(m, "max_links 1 still applies");
    }
  }

  @Test
  void invalidAtStart_exitStatus4_errorNamesTheKey() throws Exception {
    Mesh mesh = new Mesh();
    FakeClient client = new FakeClient("{\"node_id\":\"a\",\"max_links\":65}", dir);

    assertEquals(Mesh.EXIT_BAD_CONFIG, mesh.start(client));

    assertTrue(
        client.logged(
            Message.LogLevel.ERROR,
            "invalid config: max_links must be an integer from 1 to 64, found 65"),
        client.logs::toString);
    assertFalse(client.isOpen(), "the module closes its connection");
    assertEquals(4, Mesh.EXIT_BAD_CONFIG);
  }

  @Test
  void delivery_changed_usedFromThenOn() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(",\"deliver_module\":\"r1\""), dir)) {
      m.routePacket("{\"destination\":\"a\",\"payload\":1,\"ttl\":0}");
      until("r1 receives the packet", () -> m.client.calls.size() == 1);

      m.reload(config(",\"deliver_module\":\"r2\",\"deliver_method\":\"take\""));
      m.routePacket("{\"destination\":\"a\",\"payload\":2,\"ttl\":0}");
      until("r2 receives the packet", () -> m.client.calls.size() == 2);

      assertEquals(
          List.of(
              "r1.mesh_packet {\"source\":\"a\",\"destination\":\"a\",\"hops\":0,\"payload\":1}",
              "r2.take {\"source\":\"a\",\"destination\":\"a\",\"hops\":0,\"payload\":2}"),
          m.client.calls.stream()
              .map(c -> c.target() + "." + c.method() + " " + c.params())
              .toList());
      assertTrue(
          m.client.logged(
              Message.LogLevel.INFO,
              "packet from module mesh-sender to \"a\" delivered here ttl=0"),
          m.client.logs::toString);
      until(
          "the delivery is logged",
          () ->
              m.client.logged(
                  Message.LogLevel.INFO, "packet from \"a\" delivered to r2.take hops=0"));
    }
  }

  @Test
  void peers_added_dialled_removed_linkClosed() throws Exception {
    try (RunningMesh m = RunningMesh.start(config(""), dir);
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      b.setSoTimeout((int) RunningMesh.WAIT.toMillis());
      String peer = "127.0.0.1:" + b.getLocalPort();

      m.reload(config(",\"peers\":[\"" + peer + "\"]"));
      try (Socket s = b.accept()) {
        s.setSoTimeout((int) RunningMesh.WAIT.toMillis());
        assertEquals(
            new LinkFrame.Hello("a"), LinkCodec.read(s.getInputStream()), "a dials and says hello");
        s.getOutputStream().write(LinkCodec.encode(new LinkFrame.Hello("b")));
        until("b is a neighbour", () -> m.hasRoute("b", "b", 1));

        m.reload(config(""));

        until("b's route is withdrawn", () -> m.node().table().route("b").isEmpty());
        DataInputStream in = new DataInputStream(s.getInputStream());
        assertTrue(readsToTheEnd(in), "the link to the removed peer is closed");
      }
    }
  }

  /** True when the stream ends; false when it stays open (its read timeout passes). */
  private static boolean readsToTheEnd(DataInputStream in) {
    try {
      while (true) {
        LinkCodec.read(in);
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
