package org.blvm.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * The node's simulated peers and the messages they send. Addresses are in the documentation ranges
 * (RFC 5737, RFC 3849); payloads follow the Bitcoin P2P message formats and refer to the chain's
 * real transactions and blocks. Guarded by the chain's lock.
 */
final class PeerNetwork {
  /** Longest payload passed on in MessageReceived (the rest is cut). */
  static final int MAX_PAYLOAD_BYTES = EventPayloads.MAX_MESSAGE_PAYLOAD_HEX / 2;

  private static final String[] USER_AGENTS = {
    "/Satoshi:27.1.0/", "/Satoshi:27.0.0/", "/Satoshi:26.2.0/", "/Satoshi:25.1.0/", "/btcd:0.24.2/"
  };
  private static final String[] DISCONNECT_REASONS = {
    "timeout", "peer closed the connection", "evicted for a better peer", "misbehaving"
  };
  private static final String[] COMMANDS = {
    "inv",
    "inv",
    "inv",
    "tx",
    "tx",
    "getdata",
    "ping",
    "pong",
    "headers",
    "addr",
    "feefilter",
    "sendcmpct"
  };

  private final SimulationSettings settings;
  private final SplitMix64 random;
  private final EventOutbox out;
  private final ChainState chain;
  private final Map<Long, Api.PeerInfo> peers = new LinkedHashMap<>();

  /** The connected peers that speak the mesh announcement, by peer id. */
  private final Map<Long, Api.PeerInfo> meshPeers = new LinkedHashMap<>();

  private long nextMeshAnnouncementMillis;
  private long nextId = 1;
  private long bytesSent;
  private long bytesReceived;

  PeerNetwork(SimulationSettings settings, SplitMix64 random, EventOutbox out, ChainState chain) {
    this.settings = settings;
    this.random = random;
    this.out = out;
    this.chain = chain;
  }

  List<Api.PeerInfo> peers() {
    return new ArrayList<>(peers.values());
  }

  Api.NetworkStats stats() {
    int inbound = 0;
    for (Api.PeerInfo p : peers.values()) {
      if (p.inbound()) {
        inbound++;
      }
    }
    return new Api.NetworkStats(
        peers.size(), inbound, peers.size() - inbound, bytesSent, bytesReceived);
  }

  /** Connects the configured initial peers. */
  void connectInitial() {
    for (int i = 0; i < settings.initialPeers(); i++) {
      connect();
    }
  }

  /** A peer connects or disconnects, keeping the count within min_peers … max_peers. */
  void churn() {
    boolean connect;
    if (peers.size() <= settings.minPeers()) {
      connect = true;
    } else if (peers.size() >= settings.maxPeers()) {
      connect = false;
    } else {
      connect = random.chance(0.5);
    }
    if (connect) {
      connect();
    } else {
      disconnect();
    }
  }

  private void connect() {
    if (peers.size() >= settings.maxPeers()) {
      return;
    }
    long id = nextId++;
    String host;
    if (random.chance(0.7)) {
      host = (random.chance(0.5) ? "198.51.100." : "203.0.113.") + (1 + random.nextInt(254));
    } else {
      host = "[2001:db8::" + Integer.toHexString(1 + random.nextInt(0xfffe)) + "]";
    }
    boolean inbound = random.chance(0.4);
    int port = inbound ? 49152 + random.nextInt(16384) : settings.defaultPort();
    String agent = USER_AGENTS[random.nextInt(USER_AGENTS.length)];
    boolean mesh = meshPeers.size() < settings.meshPeers();
    Api.PeerInfo p =
        new Api.PeerInfo(
            id, host + ":" + port, inbound, mesh ? MeshAnnouncement.USER_AGENT : agent);
    peers.put(id, p);
    bytesSent += 126;
    bytesReceived += 126;
    out.emit(EventType.PeerConnected, new EventPayloads.PeerConnected(id, p.address(), inbound));
    if (mesh) {
      meshPeers.put(id, p);
      announceMesh(id);
    }
  }

  /**
   * Every {@link MeshAnnouncement#INTERVAL_MILLIS} of simulated time, each mesh peer sends its
   * announcement again (modules that started later learn it then).
   */
  void meshAnnouncements() {
    long now = chain.nowMillis();
    if (meshPeers.isEmpty() || now < nextMeshAnnouncementMillis) {
      return;
    }
    nextMeshAnnouncementMillis = now + MeshAnnouncement.INTERVAL_MILLIS;
    for (Long id : new ArrayList<>(meshPeers.keySet())) {
      announceMesh(id);
    }
  }

  private void announceMesh(long id) {
    byte[] payload = MeshAnnouncement.of(id);
    bytesReceived += 24 + payload.length;
    out.emit(
        EventType.MessageReceived,
        new EventPayloads.MessageReceived(
            id, MeshAnnouncement.COMMAND, payload.length, Hashes.hex(payload)));
  }

  private void disconnect() {
    if (peers.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>(peers.keySet());
    long id = ids.get(random.nextInt(ids.size()));
    peers.remove(id);
    meshPeers.remove(id);
    String reason = DISCONNECT_REASONS[random.nextInt(DISCONNECT_REASONS.length)];
    out.emit(EventType.PeerDisconnected, new EventPayloads.PeerDisconnected(id, reason));
  }

  /** A random peer sends a message; nothing happens without peers. */
  void message() {
    if (peers.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>(peers.keySet());
    long id = ids.get(random.nextInt(ids.size()));
    String command = COMMANDS[random.nextInt(COMMANDS.length)];
    byte[] payload = payload(command);
    bytesReceived += 24 + payload.length;
    bytesSent += 24 + random.nextInt(200);
    byte[] shown =
        payload.length > MAX_PAYLOAD_BYTES
            ? java.util.Arrays.copyOf(payload, MAX_PAYLOAD_BYTES)
            : payload;
    out.emit(
        EventType.MessageReceived,
        new EventPayloads.MessageReceived(id, command, payload.length, Hashes.hex(shown)));
  }

  /** The payload of {@code command} in the Bitcoin P2P format. */
  private byte[] payload(String command) {
    ByteWriter w = new ByteWriter();
    switch (command) {
      case "inv":
      case "getdata":
        {
          int n = 1 + random.nextInt(5);
          w.varint(n);
          for (int i = 0; i < n; i++) {
            String txid = randomMempoolTxid();
            if (txid != null) {
              w.le32(1).bytes(Hashes.internal(txid));
            } else {
              w.le32(2).bytes(Hashes.internal(chain.tip().hash));
            }
          }
          return w.toArray();
        }
      case "tx":
        {
          String txid = randomMempoolTxid();
          return txid == null
              ? chain.block(chain.tip().hash).block.txs().get(0).raw()
              : chain.mempool().get(txid).tx().raw();
        }
      case "ping":
      case "pong":
        return w.le64(random.nextLong()).toArray();
      case "headers":
        return w.varint(1).bytes(chain.tip().header.serialize()).u8(0).toArray();
      case "addr":
        {
          int n = 1 + random.nextInt(3);
          w.varint(n);
          for (int i = 0; i < n; i++) {
            w.le32(chain.nowSeconds() - random.nextInt(3600)).le64(1033);
            w.bytes(new byte[10]).u8(0xff).u8(0xff);
            w.u8(random.chance(0.5) ? 198 : 203).u8(random.chance(0.5) ? 51 : 0);
            w.u8(random.chance(0.5) ? 100 : 113).u8(1 + random.nextInt(254));
            int port = settings.defaultPort();
            w.u8(port >>> 8).u8(port & 0xff);
          }
          return w.toArray();
        }
      case "feefilter":
        return w.le64(Math.round(chain.wallet().feeRate() * 1000)).toArray();
      default:
        return w.u8(0).le64(2).toArray();
    }
  }

  private String randomMempoolTxid() {
    int n = chain.mempool().size();
    if (n == 0) {
      return null;
    }
    int k = random.nextInt(Math.min(n, 64));
    int i = 0;
    for (Mempool.Entry e : chain.mempool().entries()) {
      if (i++ == k) {
        return e.tx().txid();
      }
    }
    return null;
  }
}
