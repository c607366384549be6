package org.blvm.modules.mesh;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Routes learned from the node's peer-to-peer peers (docs/modules.md, "Routes from P2P peers"): a
 * peer that sends a {@code meshannounce} message (a hello frame with its mesh node id, then an
 * announce frame of the link protocol) makes its node id 1 hop away and each destination it
 * announces at {@code h} hops {@code h + 1} hops away, marked as learned from that peer. A new
 * announcement replaces the peer's previous one; {@code PeerDisconnected} withdraws them all. They
 * are kept apart from the {@link RoutingTable} of the links: no NodeAPI method sends to a peer, so
 * these routes are reported, never used to forward, nor announced to the links.
 *
 * <p>Thread-safe: every method holds the lock only while computing.
 */
final class PeerRoutes {
  static final String COMMAND = "meshannounce";

  /** Peers whose announcements are kept at once (a further peer's announcement is ignored). */
  static final int MAX_PEERS = 64;

  /** A connected peer: its address from {@code PeerConnected}, null if that was missed. */
  record Peer(long peerId, String address) {}

  /** The route to {@code destination} through {@code peer}, whose mesh id is {@code nodeId}. */
  record Route(String destination, Peer peer, String nodeId, int hops) {}

  /** The route to {@code destination} before and after a change; either may be null. */
  record Change(String destination, Route before, Route after) {}

  /** An announcement that does not parse; nothing changes. */
  static final class MalformedAnnouncementException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedAnnouncementException(String message) {
      super(message);
    }
  }

  private record Heard(String nodeId, Map<String, Integer> routes) {}

  private final String self;
  private final Map<Long, String> addresses = new LinkedHashMap<>();
  private final Map<Long, Heard> heard = new TreeMap<>();
  private Map<String, Route> best = new TreeMap<>();

  PeerRoutes(String self) {
    this.self = Objects.requireNonNull(self, "self");
  }

  /** A peer connected; its address names it in routes and messages. */
  synchronized void connected(long peerId, String address) {
    if (addresses.size() < 4 * MAX_PEERS || addresses.containsKey(peerId)) {
      addresses.put(peerId, address);
    }
  }

  /**
   * A {@code meshannounce} from {@code peerId}: {@code payloadHex} and the payload's whole {@code
   * size}.
   */
  synchronized List<Change> announced(long peerId, String payloadHex, long size)
      throws MalformedAnnouncementException {
    if (payloadHex == null || payloadHex.length() != 2 * size) {
      throw new MalformedAnnouncementException(
          "the node passed on "
              + (payloadHex == null ? "no" : Integer.toString(payloadHex.length() / 2))
              + " of its "
              + Long.toString(size)
              + " bytes");
    }
    byte[] raw;
    try {
      raw = HexFormat.of().parseHex(payloadHex);
    } catch (IllegalArgumentException e) {
      throw new MalformedAnnouncementException("payload_hex is not hex");
    }
    Heard h = parse(raw);
    if (!heard.containsKey(peerId) && heard.size() >= MAX_PEERS) {
      throw new MalformedAnnouncementException(
          "already " + MAX_PEERS + " peers announce routes; ignored");
    }
    heard.put(peerId, h);
    return recompute();
  }

  /** The peer disconnected: every route learned from it is withdrawn. */
  synchronized List<Change> disconnected(long peerId) {
    addresses.remove(peerId);
    if (heard.remove(peerId) == null) {
      return List.of();
    }
    return recompute();
  }

  synchronized Optional<Route> route(String destination) {
    return Optional.ofNullable(best.get(destination));
  }

  synchronized List<Route> routes() {
    return List.copyOf(best.values());
  }

  /** The peers that announced routes, with their mesh node ids, by peer id. */
  synchronized Map<Long, String> meshPeers() {
    Map<Long, String> out = new TreeMap<>();
    heard.forEach((id, h) -> out.put(id, h.nodeId()));
    return out;
  }

  private static Heard parse(byte[] raw) throws MalformedAnnouncementException {
    ByteArrayInputStream in = new ByteArrayInputStream(raw);
    try {
      LinkFrame first = LinkCodec.read(in);
      LinkFrame second = LinkCodec.read(in);
      if (!(first instanceof LinkFrame.Hello hello)
          || !(second instanceof LinkFrame.Announce announce)) {
        throw new MalformedAnnouncementException("not a hello frame followed by an announce frame");
      }
      if (in.available() > 0) {
        throw new MalformedAnnouncementException(
            in.available() + " bytes after the announce frame");
      }
      return new Heard(hello.nodeId(), announce.routes());
    } catch (IOException e) {
      throw new MalformedAnnouncementException(
          e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }

  private List<Change> recompute() {
    TreeMap<String, Route> next = new TreeMap<>();
    for (Map.Entry<Long, Heard> e : heard.entrySet()) {
      Peer peer = new Peer(e.getKey(), addresses.get(e.getKey()));
      Heard h = e.getValue();
      offer(next, new Route(h.nodeId(), peer, h.nodeId(), 1));
      for (Map.Entry<String, Integer> r : h.routes().entrySet()) {
        int hops = r.getValue() + 1;
        if (!r.getKey().equals(self) && hops < RoutingTable.UNREACHABLE) {
          offer(next, new Route(r.getKey(), peer, h.nodeId(), hops));
        }
      }
    }
    next.remove(self);
    while (next.size() > RoutingTable.MAX_DESTINATIONS) {
      next.pollLastEntry();
    }
    List<Change> changes = RoutingTable.diff(best, next, Change::new);
    best = next;
    return changes;
  }

  private static void offer(Map<String, Route> routes, Route r) {
    Route old = routes.get(r.destination());
    if (old == null
        || r.hops() < old.hops()
        || (r.hops() == old.hops() && r.peer().peerId() < old.peer().peerId())) {
      routes.put(r.destination(), r);
    }
  }
}
