package org.blvm.modules.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A distance-vector routing table (docs/modules.md, "Routing"): each linked neighbour is 1 hop
 * away, and each destination a neighbour announces at {@code h} hops is {@code h + 1} hops away
 * through it. The best route to a destination has the fewest hops; among equals, the neighbour
 * whose id sorts first. Hop counts reach at most {@link #UNREACHABLE} − 1; a neighbour tells its
 * neighbours the routes it uses through them as unreachable (poisoned reverse), so two nodes never
 * count up to infinity through each other. Routes of stale tables in larger loops are bounded by
 * the packets' ttl ({@link #decide}).
 *
 * <p>Thread-safe: every method holds the table's lock only while computing, never across I/O.
 */
final class RoutingTable {
  /** A hop count meaning "no route", as in RIP. */
  static final int UNREACHABLE = 16;

  /** The most destinations kept; beyond it, those whose ids sort last are left out. */
  static final int MAX_DESTINATIONS = 512;

  /** The route to {@code destination}: through the neighbour {@code nextHop}, {@code hops} away. */
  record Route(String destination, String nextHop, int hops) {}

  /** The route to {@code destination} before and after a change; either may be null. */
  record Change(String destination, Route before, Route after) {}

  /** What to do with a packet: deliver it here, forward it, or refuse it. */
  record Decision(Kind kind, Route route, int ttl, String reason) {
    enum Kind {
      DELIVER,
      FORWARD,
      NO_ROUTE,
      TTL_EXHAUSTED,
      LINK_BUSY
    }
  }

  private final String self;

  /** Per linked neighbour, the destinations it announced and their hop counts from it. */
  private final Map<String, Map<String, Integer>> heard = new TreeMap<>();

  private Map<String, Route> best = new TreeMap<>();

  RoutingTable(String self) {
    this.self = Objects.requireNonNull(self, "self");
  }

  String self() {
    return self;
  }

  /** A link to {@code neighbour} came up: it is 1 hop away, and has announced nothing yet. */
  synchronized List<Change> linkUp(String neighbour) {
    heard.putIfAbsent(neighbour, Map.of());
    return recompute();
  }

  /** The link to {@code neighbour} went down: every route through it is withdrawn. */
  synchronized List<Change> linkDown(String neighbour) {
    heard.remove(neighbour);
    return recompute();
  }

  /**
   * {@code neighbour} announced its whole table; it replaces what it announced before. Ignored for
   * a neighbour without a link.
   */
  synchronized List<Change> announce(String neighbour, Map<String, Integer> routes) {
    if (!heard.containsKey(neighbour)) {
      return List.of();
    }
    heard.put(neighbour, Map.copyOf(routes));
    return recompute();
  }

  synchronized Optional<Route> route(String destination) {
    return Optional.ofNullable(best.get(destination));
  }

  /** Every route, by destination. */
  synchronized List<Route> routes() {
    return List.copyOf(best.values());
  }

  /** Linked neighbours, sorted. */
  synchronized List<String> neighbours() {
    return List.copyOf(heard.keySet());
  }

  /**
   * The announcement for {@code neighbour}: every route, with those through {@code neighbour}
   * itself as {@link #UNREACHABLE}; the neighbour's own id is left out.
   */
  synchronized Map<String, Integer> announcementFor(String neighbour) {
    Map<String, Integer> out = new TreeMap<>();
    for (Route r : best.values()) {
      if (!r.destination().equals(neighbour)) {
        out.put(r.destination(), r.nextHop().equals(neighbour) ? UNREACHABLE : r.hops());
      }
    }
    return out;
  }

  /**
   * What to do with a packet for {@code destination} that may travel {@code ttl} more hops: deliver
   * it when the destination is this node; else forward it with {@code ttl − 1} when a route exists
   * no longer than {@code ttl}; else refuse it.
   */
  synchronized Decision decide(String destination, int ttl) {
    if (destination.equals(self)) {
      return new Decision(Decision.Kind.DELIVER, null, ttl, "for this node");
    }
    Route r = best.get(destination);
    if (r == null) {
      return new Decision(
          Decision.Kind.NO_ROUTE, null, ttl, "no route to node \"" + destination + "\"");
    }
    if (ttl < r.hops()) {
      return new Decision(
          Decision.Kind.TTL_EXHAUSTED,
          r,
          ttl,
          "ttl "
              + ttl
              + " does not reach node \""
              + destination
              + "\", "
              + r.hops()
              + " hops away via \""
              + r.nextHop()
              + "\"");
    }
    return new Decision(Decision.Kind.FORWARD, r, ttl - 1, "via " + r.nextHop());
  }

  private List<Change> recompute() {
    TreeMap<String, Route> next = new TreeMap<>();
    for (Map.Entry<String, Map<String, Integer>> n : heard.entrySet()) {
      offer(next, new Route(n.getKey(), n.getKey(), 1));
      for (Map.Entry<String, Integer> e : n.getValue().entrySet()) {
        int hops = e.getValue() + 1;
        if (!e.getKey().equals(self) && hops < UNREACHABLE) {
          offer(next, new Route(e.getKey(), n.getKey(), hops));
        }
      }
    }
    while (next.size() > MAX_DESTINATIONS) {
      next.pollLastEntry();
    }
    List<Change> changes = diff(best, next, Change::new);
    best = next;
    return changes;
  }

  /** How a change of one destination's route is recorded. */
  interface ChangeFactory<R, C> {
    C change(String destination, R before, R after);
  }

  /** One change per destination whose route differs between {@code before} and {@code after}. */
  static <R, C> List<C> diff(
      Map<String, R> before, Map<String, R> after, ChangeFactory<R, C> factory) {
    List<C> changes = new ArrayList<>();
    TreeMap<String, R> all = new TreeMap<>(before);
    all.putAll(after);
    for (String d : all.keySet()) {
      R b = before.get(d);
      R a = after.get(d);
      if (!Objects.equals(b, a)) {
        changes.add(factory.change(d, b, a));
      }
    }
    return changes;
  }

  private static void offer(Map<String, Route> routes, Route r) {
    Route old = routes.get(r.destination());
    if (old == null
        || r.hops() < old.hops()
        || (r.hops() == old.hops() && r.nextHop().compareTo(old.nextHop()) < 0)) {
      routes.put(r.destination(), r);
    }
  }
}
