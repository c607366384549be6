package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Mesh nodes linked over real loopback TCP sockets, as the broker's sockets link them. */
class MeshNodeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Records what a node tells its module. */
  static class RecordingHost implements MeshNode.Host {
    final List<RoutingTable.Change> changes = new CopyOnWriteArrayList<>();
    final List<LinkFrame.Packet> delivered = new CopyOnWriteArrayList<>();
    final List<String> warnings = new CopyOnWriteArrayList<>();

    @Override
    public void routeChanged(RoutingTable.Change change) {
      changes.add(change);
    }

    @Override
    public void deliver(LinkFrame.Packet packet) {
      delivered.add(packet);
    }

    @Override
    public void info(String message) {}

    @Override
    public void warn(String message) {
      warnings.add(message);
    }
  }

  record Node(MeshNode mesh, RecordingHost host) {}

  private Node node(String id, int maxLinks) {
    RecordingHost h = new RecordingHost();
    MeshNode m = new MeshNode(id, h, () -> maxLinks);
    open.add(() -> m.closeAll("test ends"));
    return new Node(m, h);
  }

  /** Links {@code from} to {@code to}; returns the dialling side's link. */
  private Link link(Node from, Node to) throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket dialled = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      Socket accepted = server.accept();
      Link out =
          new Link(
              "to " + to.mesh.table().self(),
              dialled.getInputStream(),
              dialled.getOutputStream(),
              dialled,
              from.mesh);
      Link in =
          new Link(
              "accepted", accepted.getInputStream(), accepted.getOutputStream(), accepted, to.mesh);
      from.mesh.adopt(out);
      to.mesh.adopt(in);
      return out;
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static void until(String what, java.util.function.BooleanSupplier c)
      throws InterruptedException {
    Poll.until(c, WAIT, what);
  }

  @Test
  void chain_routesLearntThroughAnnouncements_packetDeliveredTwoHopsAway() throws Exception {
    Node a = node("a", 8);
    Node b = node("b", 8);
    Node c = node("c", 8);
    link(a, b);
    link(b, c);

    until("a learns c via b", () -> a.mesh.table().route("c").isPresent());
    assertEquals(new RoutingTable.Route("c", "b", 2), a.mesh.table().route("c").orElseThrow());
    until("c learns a via b", () -> c.mesh.table().route("a").isPresent());

    RoutingTable.Decision d = a.mesh.route("c", 2, "{\"n\":1}");
    assertEquals(RoutingTable.Decision.Kind.FORWARD, d.kind());
    until("c receives the packet", () -> !c.host.delivered.isEmpty());
    assertEquals(new LinkFrame.Packet("a", "c", 0, 2, "{\"n\":1}"), c.host.delivered.get(0));
    assertEquals(1, b.mesh.forwarded.get());
    assertEquals(1, a.mesh.routed.get());
    assertEquals(1, c.mesh.delivered.get());

    assertEquals(RoutingTable.Decision.Kind.TTL_EXHAUSTED, a.mesh.route("c", 1, "{}").kind());
    assertEquals(RoutingTable.Decision.Kind.NO_ROUTE, a.mesh.route("z", 9, "{}").kind());
  }

  @Test
  void twoLinksChangingTheTable_changesReportedInTableOrder_evenWhileAReportIsSlow()
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    RecordingHost slowFirst =
        new RecordingHost() {
          @Override
          public void routeChanged(RoutingTable.Change change) {
            super.routeChanged(change);
            if (changes.size() == 1) {
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    MeshNode xm = new MeshNode("x", slowFirst, () -> 8);
    open.add(() -> xm.closeAll("test ends"));
    open.add(release::countDown);
    Node x = new Node(xm, slowFirst);
    Node a = node("a", 8);
    Node b = node("b", 8);
    link(a, x);
    until("x reports a (and is held there)", () -> slowFirst.changes.size() == 1);
    link(b, x);
    // x announces its table to b only after its change for b was made and handed to reporting
    until("b learns a via x", () -> b.mesh.table().route("a").isPresent());
    assertEquals(1, slowFirst.changes.size(), "b's change waits behind a's slow report");

    release.countDown();
    until("x reports b", () -> slowFirst.changes.size() == 2);
    assertEquals(
        List.of(
            new RoutingTable.Change("a", null, new RoutingTable.Route("a", "a", 1)),
            new RoutingTable.Change("b", null, new RoutingTable.Route("b", "b", 1))),
        slowFirst.changes);
  }

  @Test
  void linkDrop_withdrawsRoutesBeyondIt_onEveryNode() throws Exception {
    Node a = node("a", 8);
    Node b = node("b", 8);
    Node c = node("c", 8);
    link(a, b);
    Link bc = link(b, c);
    until("a learns c", () -> a.mesh.table().route("c").isPresent());

    bc.close("cut");

    until("b withdraws c", () -> b.mesh.table().route("c").isEmpty());
    until("a withdraws c", () -> a.mesh.table().route("c").isEmpty());
    assertTrue(a.mesh.table().route("b").isPresent(), "the link a-b stays");
    RoutingTable.Change last = a.host.changes.get(a.host.changes.size() - 1);
    assertEquals(new RoutingTable.Change("c", new RoutingTable.Route("c", "b", 2), null), last);
  }

  @Test
  void hello_itselfDuplicateOrOverMaxLinks_refused() throws Exception {
    Node a = node("a", 1);
    Node a2 = node("a", 8);
    Node b = node("b", 8);
    Node c = node("c", 8);

    link(a2, a);
    until(
        "a refuses a link to itself",
        () -> a.host.warnings.stream().anyMatch(w -> w.contains("it is this node itself")));
    link(b, a);
    until("a links to b", () -> a.mesh.table().route("b").isPresent());
    // both ends: if b had not taken the first link yet, it could keep the second and drop the first
    until("b links to a", () -> b.mesh.table().route("a").isPresent());
    link(b, a);
    until(
        "a refuses a second link to b",
        () -> a.host.warnings.stream().anyMatch(w -> w.contains("a link to it is already open")));
    link(c, a);
    until(
        "a refuses c over max_links",
        () -> a.host.warnings.stream().anyMatch(w -> w.contains("max_links (1) links are open")));
    assertEquals(List.of("b"), a.mesh.table().neighbours());
  }

  /** A raw peer socket linked to {@code a}, nothing sent yet. */
  private Socket rawPeer(Node a) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Socket peer = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      open.add(peer);
      Socket accepted = server.accept();
      a.mesh.adopt(
          new Link(
              "accepted", accepted.getInputStream(), accepted.getOutputStream(), accepted, a.mesh));
      return peer;
    }
  }

  /** A raw peer socket linked to {@code a} that has sent the hello of node "x". */
  private Socket rawPeerX(Node a) throws Exception {
    Socket peer = rawPeer(a);
    peer.getOutputStream().write(LinkCodec.encode(new LinkFrame.Hello("x")));
    until("a links to x", () -> a.mesh.table().route("x").isPresent());
    return peer;
  }

  @Test
  void secondHello_closesTheLink() throws Exception {
    Node a = node("a", 8);
    Socket peer = rawPeerX(a);

    peer.getOutputStream().write(LinkCodec.encode(new LinkFrame.Hello("x")));

    until("a withdraws x", () -> a.mesh.table().route("x").isEmpty());
    until("the link is gone", () -> a.mesh.openLinks() == 0);
  }

  @Test
  void firstFrameNotAHello_closesTheLink() throws Exception {
    Node a = node("a", 8);
    Socket peer = rawPeer(a);
    assertEquals(1, a.mesh.openLinks());

    peer.getOutputStream().write(LinkCodec.encode(new LinkFrame.Announce(Map.of("y", 1))));

    until("the link is gone", () -> a.mesh.openLinks() == 0);
    assertTrue(a.mesh.table().routes().isEmpty(), "nothing learnt from it");
  }

  @Test
  void garbage_onALink_closesIt_routeWithdrawn() throws Exception {
    Node a = node("a", 8);
    Socket peer = rawPeerX(a);

    peer.getOutputStream().write(new byte[] {0x7f, 0, 0, 0});

    until("a withdraws x", () -> a.mesh.table().route("x").isEmpty());
    assertEquals(0, a.mesh.openLinks());
  }

  @Test
  void silentLink_closedAfterThreeIntervals() throws Exception {
    Node a = node("a", 8);
    rawPeerX(a);
    a.mesh.tick(60_000);
    assertTrue(a.mesh.table().route("x").isPresent(), "heard from within three minutes");

    until(
        "a closes the silent link",
        () -> {
          a.mesh.tick(1);
          return a.mesh.table().route("x").isEmpty();
        });
  }
}
