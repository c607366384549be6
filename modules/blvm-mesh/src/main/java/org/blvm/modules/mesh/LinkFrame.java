package org.blvm.modules.mesh;

import java.util.Map;

/** One frame of the link protocol between two blvm-mesh modules (docs/modules.md). */
sealed interface LinkFrame {

  /** First frame each side sends: the protocol version it speaks and its node id. */
  record Hello(String nodeId) implements LinkFrame {}

  /**
   * The sender's whole routing table as its neighbour should see it: destination → hop count from
   * the sender ({@link RoutingTable#UNREACHABLE} for a route the sender withdraws or uses through
   * the receiver). A destination missing from it is not reachable through the sender.
   */
  record Announce(Map<String, Integer> routes) implements LinkFrame {
    public Announce {
      routes = Map.copyOf(routes);
    }
  }

  /**
   * A packet on its way: {@code ttl} is how many more hops it may travel, {@code hops} how many it
   * has travelled, {@code payloadJson} the caller's payload as JSON text.
   */
  record Packet(String source, String destination, int ttl, int hops, String payloadJson)
      implements LinkFrame {}
}
