package org.blvm.modules.mesh;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The mesh of one node: its links, its routing table and what moves between them. A link's hello
 * makes the peer a neighbour, its announcements feed the table, and every change of the table is
 * reported to the {@link Host} and announced to every neighbour. Packets for this node go to the
 * host; others are forwarded along the table with their ttl decremented, or dropped.
 *
 * <p>Thread-safe. The lock on {@code this} guards only the map of neighbours' links; it is never
 * held while sending, calling the host or touching the table.
 */
final class MeshNode implements Link.Listener {

  /** What the mesh needs from the module around it. */
  interface Host {
    /** A route appeared, changed or was withdrawn. */
    void routeChanged(RoutingTable.Change change);

    /** A packet for this node arrived over a link. */
    void deliver(LinkFrame.Packet packet);

    void info(String message);

    void warn(String message);
  }

  /** Counts since the module started (kept across restarts by the state file). */
  final AtomicLong routed = new AtomicLong();

  final AtomicLong forwarded = new AtomicLong();
  final AtomicLong delivered = new AtomicLong();
  final AtomicLong dropped = new AtomicLong();

  private final RoutingTable table;
  private final Host host;
  private final IntSupplier maxLinks;
  private final Map<String, Link> byPeer = new HashMap<>();
  private final Set<Link> all = ConcurrentHashMap.newKeySet();
  private volatile long lastAnnounceNanos = System.nanoTime();

  /**
   * Route changes not yet reported, in the order the table made them: a change is queued in the
   * same critical section ({@code changeOrder}) that computes it, and reported by one thread at a
   * time ({@code reporting}), so two links' threads never report their changes out of order.
   */
  private final Object changeOrder = new Object();

  private final ConcurrentLinkedQueue<RoutingTable.Change> unreported =
      new ConcurrentLinkedQueue<>();
  private final AtomicBoolean reporting = new AtomicBoolean();

  MeshNode(String self, Host host, IntSupplier maxLinks) {
    this.table = new RoutingTable(self);
    this.host = host;
    this.maxLinks = maxLinks;
  }

  RoutingTable table() {
    return table;
  }

  /** Starts a freshly connected link: sends this node's hello and reads the peer's. */
  void adopt(Link link) {
    all.add(link);
    link.start(new LinkFrame.Hello(table.self()));
  }

  /** Links open now, with or without a hello yet. */
  int openLinks() {
    return all.size();
  }

  @Override
  public boolean onHello(Link link, String peerId) {
    synchronized (this) {
      String refusal = null;
      if (peerId.equals(table.self())) {
        refusal = "it is this node itself";
      } else if (byPeer.containsKey(peerId)) {
        refusal = "a link to it is already open";
      } else if (byPeer.size() >= maxLinks.getAsInt()) {
        refusal = "max_links (" + maxLinks.getAsInt() + ") links are open";
      }
      if (refusal != null) {
        host.warn("link " + link.name() + " to node \"" + peerId + "\" refused: " + refusal);
        return false;
      }
      byPeer.put(peerId, link);
    }
    host.info("link " + link.name() + " up: node \"" + peerId + "\"");
    apply(() -> table.linkUp(peerId));
    link.send(new LinkFrame.Announce(table.announcementFor(peerId)));
    return true;
  }

  @Override
  public void onFrame(Link link, LinkFrame frame) {
    if (frame instanceof LinkFrame.Announce a) {
      apply(() -> table.announce(link.peerId(), a.routes()));
    } else if (frame instanceof LinkFrame.Packet p) {
      onPacket(link, p);
    }
  }

  @Override
  public void onClosed(Link link, String why) {
    all.remove(link);
    String peer = link.peerId();
    if (peer == null) {
      return;
    }
    boolean current;
    synchronized (this) {
      current = byPeer.remove(peer, link);
    }
    if (current) {
      host.info("link " + link.name() + " down: node \"" + peer + "\": " + why);
      apply(() -> table.linkDown(peer));
    }
  }

  /**
   * Sends a packet this node originates: refused ({@code NO_ROUTE}, {@code TTL_EXHAUSTED}, {@code
   * LINK_BUSY}) or queued on the next hop's link ({@code FORWARD}); a packet for this node itself
   * is {@code DELIVER}ed to the host.
   */
  RoutingTable.Decision route(String destination, int ttl, String payloadJson) {
    RoutingTable.Decision d = table.decide(destination, ttl);
    LinkFrame.Packet p = new LinkFrame.Packet(table.self(), destination, d.ttl(), 0, payloadJson);
    if (d.kind() == RoutingTable.Decision.Kind.DELIVER) {
      routed.incrementAndGet();
      delivered.incrementAndGet();
      host.deliver(p);
      return d;
    }
    if (d.kind() != RoutingTable.Decision.Kind.FORWARD) {
      return d;
    }
    if (!send(
        d.route().nextHop(),
        new LinkFrame.Packet(table.self(), destination, d.ttl(), 1, payloadJson))) {
      return new RoutingTable.Decision(
          RoutingTable.Decision.Kind.LINK_BUSY,
          d.route(),
          ttl,
          "the link to \"" + d.route().nextHop() + "\" is closed or its queue is full");
    }
    routed.incrementAndGet();
    return d;
  }

  /** Closes links silent for three intervals and announces the table once per interval. */
  void tick(long intervalMs) {
    long now = System.nanoTime();
    long silent = TimeUnit.MILLISECONDS.toNanos(3 * intervalMs);
    for (Link l : all) {
      if (now - l.lastHeardNanos() > silent) {
        l.close("nothing heard for " + Long.toString(3 * intervalMs) + " ms");
      }
    }
    if (now - lastAnnounceNanos >= TimeUnit.MILLISECONDS.toNanos(intervalMs)) {
      announceAll();
    }
  }

  void warn(String message) {
    host.warn(message);
  }

  /** Closes every link. */
  void closeAll(String why) {
    for (Link l : all) {
      l.close(why);
    }
  }

  /** Closes the link to {@code peerId}, if one is open. */
  void closeLinkTo(String peerId, String why) {
    Link l;
    synchronized (this) {
      l = byPeer.get(peerId);
    }
    if (l != null) {
      l.close(why);
    }
  }

  private void onPacket(Link from, LinkFrame.Packet p) {
    if (p.destination().equals(table.self())) {
      delivered.incrementAndGet();
      host.deliver(p);
      return;
    }
    RoutingTable.Decision d = table.decide(p.destination(), p.ttl());
    if (d.kind() == RoutingTable.Decision.Kind.FORWARD
        && p.hops() < RoutingTable.UNREACHABLE
        && send(
            d.route().nextHop(),
            new LinkFrame.Packet(
                p.source(), p.destination(), d.ttl(), p.hops() + 1, p.payloadJson()))) {
      forwarded.incrementAndGet();
      return;
    }
    dropped.incrementAndGet();
    host.warn(
        "packet from \""
            + p.source()
            + "\" to \""
            + p.destination()
            + "\" (arrived from \""
            + from.peerId()
            + "\", ttl "
            + p.ttl()
            + ", hops "
            + p.hops()
            + ") dropped: "
            + d.reason());
  }

  private boolean send(String peer, LinkFrame f) {
    Link l;
    synchronized (this) {
      l = byPeer.get(peer);
    }
    return l != null && l.send(f);
  }

  /**
   * Makes the table's {@code change} and reports what it changed, in table order whatever thread
   * reports it. No lock is held while the host is told (the queue is drained outside it).
   */
  private void apply(Supplier<List<RoutingTable.Change>> change) {
    List<RoutingTable.Change> changes;
    synchronized (changeOrder) {
      changes = change.get();
      unreported.addAll(changes);
    }
    if (changes.isEmpty()) {
      return;
    }
    reportInOrder();
    announceAll();
  }

  private void reportInOrder() {
    while (!unreported.isEmpty() && reporting.compareAndSet(false, true)) {
      try {
        for (RoutingTable.Change c; (c = unreported.poll()) != null; ) {
          host.routeChanged(c);
        }
      } finally {
        reporting.set(false);
      }
    }
  }

  private void announceAll() {
    lastAnnounceNanos = System.nanoTime();
    Map<String, Link> links;
    synchronized (this) {
      links = Map.copyOf(byPeer);
    }
    for (Map.Entry<String, Link> e : links.entrySet()) {
      e.getValue().send(new LinkFrame.Announce(table.announcementFor(e.getKey())));
    }
  }
}
