package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class LinkTest {

  @Test
  void send_boundedQueue_refusesBeyondIt_andAfterClose() {
    Link l =
        new Link(
            "test",
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            () -> {},
            new MeshNode("a", new MeshNodeTest.RecordingHost(), () -> 8));
    LinkFrame f = new LinkFrame.Announce(java.util.Map.of());
    for (int i = 0; i < Link.QUEUE; i++) {
      assertTrue(l.send(f), "frame " + i);
    }
    assertFalse(l.send(f), "the queue holds " + Link.QUEUE + " frames");

    l.close("done");
    assertFalse(l.isOpen());
    assertFalse(l.send(f));
  }

  @Test
  void route_nextHopsQueueFullThenClosed_linkBusyAndNotCounted() {
    MeshNode node = new MeshNode("a", new MeshNodeTest.RecordingHost(), () -> 8);
    Link l =
        new Link(
            "to b",
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            () -> {},
            node);
    assertTrue(node.onHello(l, "b"), "b becomes a neighbour (its writer never runs here)");
    LinkFrame f = new LinkFrame.Announce(java.util.Map.of());
    while (l.send(f)) {
      // fill the queue the writer would drain
    }
    RoutingTable.Decision busy = node.route("b", 4, "null");
    assertEquals(RoutingTable.Decision.Kind.LINK_BUSY, busy.kind());
    assertEquals("the link to \"b\" is closed or its queue is full", busy.reason());
    assertEquals(4, busy.ttl(), "the caller's ttl, nothing was sent");
    assertEquals(0, node.routed.get());

    // closed, before its reader reported the end (which withdraws the route): busy too
    l.close("done");
    assertEquals(RoutingTable.Decision.Kind.LINK_BUSY, node.route("b", 4, "null").kind());
  }

  @Test
  void dialerBackoff_doublesFrom200MsUpTo10s() {
    long b = Dialer.FIRST_BACKOFF_MS;
    StringBuilder seen = new StringBuilder().append(b);
    for (int i = 0; i < 8; i++) {
      b = Dialer.next(b);
      seen.append(' ').append(b);
    }
    assertEquals("200 400 800 1600 3200 6400 10000 10000 10000", seen.toString());
  }

  @Test
  void dialerBackoff_backTo200MsAfterALinkThatLivedAMinute() {
    long minute = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    assertEquals(Dialer.FIRST_BACKOFF_MS, Dialer.afterLink(10_000, minute + 1));
    assertEquals(10_000, Dialer.afterLink(10_000, minute - 1), "a shorter link keeps it");
  }
}
