package org.blvm.modules.mesh;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.sdk.MethodRefusedException;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.ModuleConnectException;
import org.blvm.sdk.NodeApiException;

/**
 * blvm-mesh: links this node to the blvm-mesh modules of other nodes over sockets the node brokers
 * ({@code listen}, {@code peers}), keeps a routing table from their announcements, serves {@code
 * route_packet} to the other modules of this node, forwards packets to the next hop, hands packets
 * for this node to {@code deliver_module} and publishes {@code mesh.route_changed}
 * (docs/modules.md).
 *
 * <p>Threads: {@code blvm-mesh-accept} (accepts links), {@code blvm-mesh-dial} (one per peer),
 * {@code blvm-mesh-link-reader}/{@code -writer} (two per link), {@code blvm-mesh-timer}
 * (announcements, silent links, the state file) and {@code blvm-mesh-out} (deliveries and route
 * events, in order, off the links' threads).
 *
 * <p>Exit status: 0 after a stop, 2 when connecting fails, 4 for an invalid config at start.
 *
 * <p>Over 400 lines: the module's start, config, route_packet, links and delivery in one place; the
 * P2P side is {@link P2pWatcher}.
 */
public final class Mesh implements MeshNode.Host {
  static final String ROUTE_PACKET = "route_packet";
  static final String ROUTE_CHANGED = "mesh.route_changed";
  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_BAD_CONFIG = 4;
  static final int OUT_QUEUE = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  final CompletableFuture<MeshNode> node = new CompletableFuture<>();
  private final Map<String, Dialer> dialers = new HashMap<>();
  private final ThreadPoolExecutor out =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(OUT_QUEUE),
          r -> daemon(r, "blvm-mesh-out"));
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "blvm-mesh-timer"));
  private volatile ModuleClient client;
  private volatile MeshConfig config;
  final P2pWatcher p2p = new P2pWatcher(this);
  final StateWrites stateWrites;
  private MeshState state;

  Mesh() {
    this(System::nanoTime);
  }

  /** A mesh whose state-file writes are paced by {@code nanos} (a test's clock). */
  Mesh(LongSupplier nanos) {
    this.stateWrites = new StateWrites(nanos);
  }

  public static void main(String[] args) throws InterruptedException {
    System.exit(new Mesh().run(args));
  }

  private int run(String[] args) throws InterruptedException {
    ModuleClient c;
    try {
      c =
          ModuleClient.builder(args)
              .serve(ROUTE_PACKET, this::routePacket)
              .onEvent(
                  EventType.PeerConnected,
                  EventPayloads.PeerConnected.class,
                  (e, p) -> p2p.onPeerConnected(p))
              .onEvent(
                  EventType.PeerDisconnected,
                  EventPayloads.PeerDisconnected.class,
                  (e, p) -> p2p.onPeerDisconnected(p))
              .onEvent(
                  EventType.MessageReceived,
                  EventPayloads.MessageReceived.class,
                  (e, m) -> p2p.onMessage(m))
              .onConfig((own, visible, changed) -> onConfig(own, visible))
              .connect();
    } catch (ModuleConnectException e) {
      System.err.println("blvm-mesh: cannot connect (" + e.reason() + "): " + e.getMessage());
      return EXIT_CONNECT_FAILED;
    }
    int status = start(c);
    if (status != 0) {
      return status;
    }
    c.awaitShutdown();
    stop();
    return 0;
  }

  /**
   * Starts the mesh over a connected client: reads the config (an invalid one closes the client and
   * answers {@link #EXIT_BAD_CONFIG}), restores the state file, listens, dials the peers and starts
   * the timer; 0 once running.
   */
  int start(ModuleClient c) {
    client = c;
    try {
      config = MeshConfig.read(c.config());
    } catch (MeshConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "invalid config: " + e.getMessage());
      c.close();
      return EXIT_BAD_CONFIG;
    }
    MeshNode n = new MeshNode(config.nodeId(), this, () -> config.maxLinks());
    p2p.start(c, config.nodeId());
    state = new MeshState(Path.of(c.context().dataDir()));
    try {
      state.restore(n);
    } catch (IOException | RuntimeException e) {
      c.log(Message.LogLevel.ERROR, "state file unreadable, counters start at zero: " + e);
      try {
        state.moveAside();
      } catch (IOException moved) {
        c.log(Message.LogLevel.ERROR, "cannot move the state file aside: " + moved);
      }
    }
    node.complete(n);
    if (!config.listen().isEmpty()) {
      listen(c, n, config.listen());
    }
    applyPeers(config);
    var unused = timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    c.log(
        Message.LogLevel.INFO,
        "mesh node \""
            + config.nodeId()
            + "\" listening on "
            + (config.listen().isEmpty() ? "nothing" : config.listen())
            + ", peers "
            + config.peers()
            + ", max_links "
            + config.maxLinks());
    return 0;
  }

  /** Stops dialling, closes every link and the module's threads. */
  void stop() {
    synchronized (dialers) {
      dialers.values().forEach(Dialer::stop);
    }
    MeshNode n = node.getNow(null);
    if (n != null) {
      n.closeAll("the module stops");
    }
    timer.shutdownNow();
    out.shutdown();
  }

  /** {@code route_packet {destination, payload, ttl}} (docs/modules.md). */
  JsonNode routePacket(String caller, JsonNode params) throws Exception {
    RoutePacketParams p = RoutePacketParams.read(params);
    MeshNode n;
    try {
      n = node.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new MethodRefusedException(ErrorCode.UNAVAILABLE, "the mesh is not running yet");
    }
    RoutingTable.Decision d = n.route(p.destination(), p.ttl(), p.payloadJson());
    switch (d.kind()) {
      case NO_ROUTE -> {
        PeerRoutes.Route viaPeer = p2p.route(p.destination()).orElse(null);
        if (viaPeer != null) {
          throw new MethodRefusedException(
              ErrorCode.UNAVAILABLE,
              "peer route: node \""
                  + p.destination()
                  + "\" is "
                  + viaPeer.hops()
                  + " hops away via P2P peer "
                  + P2pWatcher.describe(viaPeer.peer())
                  + ", node \""
                  + viaPeer.nodeId()
                  + "\"; the node has no method to send to a peer");
        }
        throw new MethodRefusedException(ErrorCode.NOT_FOUND, "no route: " + d.reason());
      }
      case TTL_EXHAUSTED ->
          throw new MethodRefusedException(ErrorCode.UNAVAILABLE, "ttl exhausted: " + d.reason());
      case LINK_BUSY ->
          throw new MethodRefusedException(ErrorCode.UNAVAILABLE, "link busy: " + d.reason());
      case DELIVER, FORWARD -> {}
    }
    ObjectNode result = JSON.createObjectNode();
    result.put("destination", p.destination());
    if (d.route() == null) {
      result.putNull("next_hop");
      result.put("hops", 0);
    } else {
      result.put("next_hop", d.route().nextHop());
      result.put("hops", d.route().hops());
    }
    result.put("ttl", d.ttl());
    info(
        "packet from module "
            + caller
            + " to \""
            + p.destination()
            + "\" "
            + (d.route() == null ? "delivered here" : "sent via \"" + d.route().nextHop() + "\"")
            + " ttl="
            + d.ttl());
    return result;
  }

  private void listen(ModuleClient c, MeshNode n, String address) {
    ServerSocketChannel server;
    try {
      server = c.api().listen(address);
    } catch (NodeApiException e) {
      c.log(Message.LogLevel.ERROR, "cannot listen on " + address + ": " + e.getMessage());
      return;
    }
    Thread t =
        new Thread(
            () -> {
              while (c.isOpen()) {
                try {
                  SocketChannel ch = server.accept();
                  if (n.openLinks() >= config.maxLinks()) {
                    warn("link from a peer refused: max_links (" + config.maxLinks() + ") reached");
                    ch.close();
                  } else {
                    n.adopt(Link.over("accepted on " + address, ch, n));
                  }
                } catch (IOException e) {
                  if (c.isOpen()) {
                    warn("accepting links on " + address + " failed: " + e);
                  }
                  return;
                }
              }
            },
            "blvm-mesh-accept");
    t.setDaemon(true);
    t.start();
  }

  /**
   * A new own config: peers, max_links, delivery and intervals apply now; node_id and listen at the
   * next start. {@code visible} is the whole visible config: one without this module's table
   * ({@code modules.<id>}) changes nothing and is logged.
   */
  void onConfig(JsonNode own, JsonNode visible) {
    MeshConfig now = config;
    ModuleClient c = client;
    if (now == null || c == null) {
      return; // the first ConfigLoaded, before the start read the same config
    }
    String id = c.context().moduleId();
    if (!visible.path("modules").path(id).isObject()) {
      c.log(
          Message.LogLevel.ERROR,
          "config refused, keeping the last good one: no table modules." + id);
      return;
    }
    try {
      MeshConfig next = MeshConfig.read(own);
      if (!next.nodeId().equals(now.nodeId()) || !next.listen().equals(now.listen())) {
        warnRestart("node_id", now.nodeId(), next.nodeId());
        warnRestart("listen", now.listen(), next.listen());
        next =
            new MeshConfig(
                now.nodeId(),
                now.listen(),
                next.peers(),
                next.maxLinks(),
                next.deliverModule(),
                next.deliverMethod(),
                next.announceIntervalMs());
      }
      if (!next.equals(now)) {
        config = next;
        applyPeers(next);
        info("config applied: peers " + next.peers() + ", max_links " + next.maxLinks());
      }
    } catch (MeshConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "config refused, keeping the last good one: " + e.getMessage());
    }
  }

  private void warnRestart(String key, String now, String next) {
    if (!now.equals(next)) {
      warn(
          key
              + " changed from \""
              + now
              + "\" to \""
              + next
              + "\": it takes effect after a restart of the module, \""
              + now
              + "\" stays in use");
    }
  }

  /** Starts a dialer for each new peer and stops those of peers no longer configured. */
  private void applyPeers(MeshConfig cfg) {
    MeshNode n = node.getNow(null);
    if (n == null) {
      return;
    }
    synchronized (dialers) {
      for (Iterator<Map.Entry<String, Dialer>> it = dialers.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Dialer> e = it.next();
        if (!cfg.peers().contains(e.getKey())) {
          e.getValue().stop();
          it.remove();
        }
      }
      for (String p : cfg.peers()) {
        if (!dialers.containsKey(p)) {
          Dialer d = new Dialer(p, client.api(), n, () -> config.maxLinks());
          dialers.put(p, d);
          d.start();
        }
      }
    }
  }

  private void tick() {
    MeshNode n = node.getNow(null);
    if (n == null) {
      return;
    }
    n.tick(config.announceIntervalMs());
    if (p2p.refreshIfChanged()) {
      stateWrites.changed();
    }
    writeState(n);
  }

  /** Writes {@code n}'s state file if something changed and the last write is a second old. */
  void writeState(MeshNode n) {
    try {
      stateWrites.writeIfDue(() -> state.write(MeshState.snapshot(n).set("p2p", p2p.status())));
    } catch (IOException | RuntimeException e) {
      warn("cannot write the state file: " + e);
    }
  }

  @Override
  public void routeChanged(RoutingTable.Change change) {
    stateWrites.changed();
    RoutingTable.Route after = change.after();
    RoutingTable.Route before = change.before();
    ObjectNode payload = JSON.createObjectNode();
    payload.put("destination", change.destination());
    payload.put("state", after == null ? "withdrawn" : before == null ? "added" : "changed");
    payload.put("next_hop", after == null ? null : after.nextHop());
    payload.put("hops", after == null ? RoutingTable.UNREACHABLE : after.hops());
    payload.put("previous_next_hop", before == null ? null : before.nextHop());
    payload.putNull("peer_id");
    info(
        "route to \""
            + change.destination()
            + "\" "
            + payload.get("state").asText()
            + (after == null
                ? ""
                : ": via \"" + after.nextHop() + "\", " + after.hops() + " hops"));
    submit("publish " + ROUTE_CHANGED, () -> client.api().publishEvent(ROUTE_CHANGED, payload));
  }

  @Override
  public void deliver(LinkFrame.Packet p) {
    stateWrites.changed();
    MeshConfig cfg = config;
    if (cfg.deliverModule().isEmpty()) {
      warn("packet from \"" + p.source() + "\" dropped: no deliver_module is configured");
      return;
    }
    submit(
        "delivery to " + cfg.deliverModule(),
        () -> {
          ObjectNode params = JSON.createObjectNode();
          params.put("source", p.source());
          params.put("destination", p.destination());
          params.put("hops", p.hops());
          params.set("payload", JSON.readTree(p.payloadJson()));
          client.api().callModule(cfg.deliverModule(), cfg.deliverMethod(), params);
          info(
              "packet from \""
                  + p.source()
                  + "\" delivered to "
                  + cfg.deliverModule()
                  + "."
                  + cfg.deliverMethod()
                  + " hops="
                  + p.hops());
        });
  }

  interface Work {
    void run() throws NodeApiException, JsonProcessingException;
  }

  void submit(String what, Work w) {
    try {
      out.execute(
          () -> {
            try {
              w.run();
            } catch (NodeApiException | JsonProcessingException e) {
              warn(what + " failed: " + e.getMessage());
            }
          });
    } catch (RejectedExecutionException e) {
      warn(what + " dropped: " + OUT_QUEUE + " deliveries and events already wait");
    }
  }

  @Override
  public void info(String message) {
    client.log(Message.LogLevel.INFO, message);
  }

  @Override
  public void warn(String message) {
    client.log(Message.LogLevel.WARN, message);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
