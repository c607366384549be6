package org.blvm.modules.mesh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApiException;

/**
 * blvm-mesh's side of the node's P2P network (docs/modules.md, "Routes from P2P peers"): feeds
 * {@code PeerConnected}, {@code PeerDisconnected} and {@code meshannounce} messages into the {@link
 * PeerRoutes}, reports their changes ({@code mesh.route_changed}, the log), and keeps the P2P
 * status read from {@code get_network_stats} and {@code get_network_peers}.
 *
 * <p>Thread-safe: the handlers run on the SDK's event thread, {@link #refreshIfChanged} on the
 * timer; the fields are volatile and {@link PeerRoutes} has its own lock.
 */
final class P2pWatcher {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Mesh mesh;
  private volatile ModuleClient client;
  private volatile PeerRoutes peerRoutes;
  private volatile boolean p2pDirty = true;
  private volatile ObjectNode status = JSON.createObjectNode();

  P2pWatcher(Mesh mesh) {
    this.mesh = mesh;
  }

  /** Starts learning routes; events before it are ignored (announcements repeat). */
  void start(ModuleClient c, String self) {
    client = c;
    peerRoutes = new PeerRoutes(self);
  }

  Optional<PeerRoutes.Route> route(String destination) {
    PeerRoutes pr = peerRoutes;
    return pr == null ? Optional.empty() : pr.route(destination);
  }

  /** The last P2P status, for the state file. */
  ObjectNode status() {
    return status;
  }

  /** Reads the P2P status again when a peer or a learned route changed; true when it did. */
  boolean refreshIfChanged() {
    if (!p2pDirty || peerRoutes == null) {
      return false;
    }
    p2pDirty = false;
    refresh();
    return true;
  }

  void onPeerConnected(EventPayloads.PeerConnected p) {
    PeerRoutes pr = peerRoutes;
    if (pr != null) {
      pr.connected(p.peerId(), p.address());
    }
    p2pDirty = true;
  }

  void onPeerDisconnected(EventPayloads.PeerDisconnected p) {
    PeerRoutes pr = peerRoutes;
    if (pr != null) {
      peerRoutesChanged(pr.disconnected(p.peerId()));
    }
    p2pDirty = true;
  }

  void onMessage(EventPayloads.MessageReceived m) {
    PeerRoutes pr = peerRoutes;
    if (pr == null || !m.command().equals(PeerRoutes.COMMAND)) {
      return;
    }
    try {
      peerRoutesChanged(pr.announced(m.peerId(), m.payloadHex(), m.size()));
    } catch (PeerRoutes.MalformedAnnouncementException e) {
      mesh.warn(
          "announcement from P2P peer "
              + Long.toString(m.peerId())
              + " ignored: "
              + e.getMessage());
    }
  }

  private void peerRoutesChanged(List<PeerRoutes.Change> changes) {
    for (PeerRoutes.Change change : changes) {
      p2pDirty = true;
      mesh.stateWrites.changed();
      PeerRoutes.Route after = change.after();
      PeerRoutes.Route before = change.before();
      String state = after == null ? "withdrawn" : before == null ? "added" : "changed";
      PeerRoutes.Route any = after == null ? before : after;
      ObjectNode payload = JSON.createObjectNode();
      payload.put("destination", change.destination());
      payload.put("state", state);
      payload.put("next_hop", after == null ? null : after.nodeId());
      payload.put("hops", after == null ? RoutingTable.UNREACHABLE : after.hops());
      payload.put("previous_next_hop", before == null ? null : before.nodeId());
      payload.put("peer_id", any.peer().peerId());
      mesh.info(
          "route to \""
              + change.destination()
              + "\" "
              + state
              + " (learned from P2P peer "
              + describe(any.peer())
              + ")"
              + (after == null
                  ? ""
                  : ": via node \"" + after.nodeId() + "\", " + after.hops() + " hops"));
      mesh.submit(
          "publish " + Mesh.ROUTE_CHANGED,
          () -> client.api().publishEvent(Mesh.ROUTE_CHANGED, payload));
    }
  }

  static String describe(PeerRoutes.Peer p) {
    return Long.toString(p.peerId()) + (p.address() == null ? "" : " (" + p.address() + ")");
  }

  /**
   * The node's P2P side as blvm-mesh sees it, for the state file and the log: the network stats,
   * the peers that speak the mesh announcement with their addresses and user agents ({@code
   * get_network_peers}), and the routes learned from them.
   */
  private void refresh() {
    PeerRoutes pr = peerRoutes;
    ObjectNode s = JSON.createObjectNode();
    StringBuilder line = new StringBuilder("p2p status: ");
    try {
      Api.NetworkStats stats = client.api().getNetworkStats();
      s.put("peer_count", stats.peerCount());
      s.put("inbound", stats.inbound());
      s.put("outbound", stats.outbound());
      line.append(stats.peerCount()).append(" peers");
      Map<Long, String> meshIds = pr.meshPeers();
      var meshArray = s.putArray("mesh_peers");
      line.append(", mesh peers ").append(meshIds.size());
      for (Api.PeerInfo p : client.api().getNetworkPeers()) {
        pr.connected(p.id(), p.address());
        String nodeId = meshIds.get(p.id());
        if (nodeId != null) {
          meshArray
              .addObject()
              .put("peer_id", p.id())
              .put("address", p.address())
              .put("user_agent", p.userAgent())
              .put("node_id", nodeId);
          line.append(" [peer ")
              .append(p.id())
              .append(' ')
              .append(p.address())
              .append(' ')
              .append(p.userAgent())
              .append(" node \"")
              .append(nodeId)
              .append("\"]");
        }
      }
    } catch (NodeApiException e) {
      s.put("error", e.getMessage());
      line.append("unavailable: ").append(e.getMessage());
    }
    var routes = s.putArray("routes");
    for (PeerRoutes.Route r : pr.routes()) {
      routes
          .addObject()
          .put("destination", r.destination())
          .put("peer_id", r.peer().peerId())
          .put("node_id", r.nodeId())
          .put("hops", r.hops());
    }
    line.append(", routes learned from peers ").append(routes.size());
    status = s;
    mesh.info(line.toString());
  }
}
