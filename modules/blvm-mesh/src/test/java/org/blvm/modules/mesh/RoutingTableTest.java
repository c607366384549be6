package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

  private static RoutingTable.Route route(String dest, String via, int hops) {
    return new RoutingTable.Route(dest, via, hops);
  }

  @Test
  void linkUp_neighbourOneHopAway_reportedAsAdded() {
    RoutingTable t = new RoutingTable("a");

    List<RoutingTable.Change> changes = t.linkUp("b");

    assertEquals(List.of(new RoutingTable.Change("b", null, route("b", "b", 1))), changes);
    assertEquals(route("b", "b", 1), t.route("b").orElseThrow());
  }

  @Test
  void announce_destinationsOneHopFurther_selfIgnored_unreachableLeftOut() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("b");

    List<RoutingTable.Change> changes =
        t.announce("b", Map.of("c", 1, "d", 2, "a", 1, "far", 15, "gone", 16));

    assertEquals(route("c", "b", 2), t.route("c").orElseThrow());
    assertEquals(route("d", "b", 3), t.route("d").orElseThrow());
    assertTrue(t.route("a").isEmpty(), "no route to itself");
    assertTrue(t.route("far").isEmpty(), "15 + 1 hops is unreachable");
    assertTrue(t.route("gone").isEmpty());
    assertEquals(
        List.of("c", "d"), changes.stream().map(RoutingTable.Change::destination).toList());
  }

  @Test
  void announce_fromANeighbourWithoutALink_ignored() {
    RoutingTable t = new RoutingTable("a");

    assertEquals(List.of(), t.announce("b", Map.of("c", 1)));
    assertTrue(t.route("c").isEmpty());
  }

  @Test
  void shortestHopCount_wins_tieByNeighbourId_switchesWhenBetterAppears() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("c");
    t.linkUp("b");
    t.announce("c", Map.of("x", 3));
    assertEquals(route("x", "c", 4), t.route("x").orElseThrow());

    List<RoutingTable.Change> changes = t.announce("b", Map.of("x", 3));
    assertEquals(route("x", "b", 4), t.route("x").orElseThrow(), "equal hops: b sorts first");
    assertEquals(
        List.of(new RoutingTable.Change("x", route("x", "c", 4), route("x", "b", 4))), changes);

    t.announce("c", Map.of("x", 1));
    assertEquals(route("x", "c", 2), t.route("x").orElseThrow(), "fewer hops win");
  }

  @Test
  void withdraw_byAnnouncementOrLinkDown_fallsBackOrRemoves() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("b");
    t.linkUp("c");
    t.announce("b", Map.of("x", 1));
    t.announce("c", Map.of("x", 2));
    assertEquals(route("x", "b", 2), t.route("x").orElseThrow());

    // b leaves x out of its next announcement: the route through c takes over
    List<RoutingTable.Change> changes = t.announce("b", Map.of());
    assertEquals(route("x", "c", 3), t.route("x").orElseThrow());
    assertEquals(
        List.of(new RoutingTable.Change("x", route("x", "b", 2), route("x", "c", 3))), changes);

    // the link to c drops: c and x are withdrawn
    changes = t.linkDown("c");
    assertTrue(t.route("x").isEmpty());
    assertTrue(t.route("c").isEmpty());
    assertEquals(
        List.of(
            new RoutingTable.Change("c", route("c", "c", 1), null),
            new RoutingTable.Change("x", route("x", "c", 3), null)),
        changes);
  }

  @Test
  void announcementFor_poisonsRoutesThroughThatNeighbour_leavesItOut() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("b");
    t.linkUp("c");
    t.announce("b", Map.of("x", 1));

    assertEquals(Map.of("x", RoutingTable.UNREACHABLE, "c", 1), t.announcementFor("b"));
    assertEquals(Map.of("x", 2, "b", 1), t.announcementFor("c"));
  }

  @Test
  void decide_deliverForwardNoRouteTtlExhausted() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("b");
    t.announce("b", Map.of("x", 2));

    assertEquals(RoutingTable.Decision.Kind.DELIVER, t.decide("a", 0).kind());
    RoutingTable.Decision f = t.decide("x", 5);
    assertEquals(RoutingTable.Decision.Kind.FORWARD, f.kind());
    assertEquals(4, f.ttl());
    assertEquals("b", f.route().nextHop());
    assertEquals(
        RoutingTable.Decision.Kind.FORWARD, t.decide("x", 3).kind(), "ttl = hops is enough");
    RoutingTable.Decision short_ = t.decide("x", 2);
    assertEquals(RoutingTable.Decision.Kind.TTL_EXHAUSTED, short_.kind());
    assertEquals("ttl 2 does not reach node \"x\", 3 hops away via \"b\"", short_.reason());
    assertEquals(RoutingTable.Decision.Kind.TTL_EXHAUSTED, t.decide("b", 0).kind());
    RoutingTable.Decision none = t.decide("y", 9);
    assertEquals(RoutingTable.Decision.Kind.NO_ROUTE, none.kind());
    assertEquals("no route to node \"y\"", none.reason());
  }

  /**
   * Stale tables that point at each other (a believes x is behind b, b believes it is behind a): a
   * packet bounces between them only until its ttl runs out.
   */
  @Test
  void loop_betweenStaleTables_endsWithinTtl() {
    Map<String, RoutingTable> nodes = new HashMap<>();
    RoutingTable a = new RoutingTable("a");
    RoutingTable b = new RoutingTable("b");
    nodes.put("a", a);
    nodes.put("b", b);
    a.linkUp("b");
    b.linkUp("a");
    a.announce("b", Map.of("x", 1)); // a: x via b, 2 hops
    b.announce("a", Map.of("x", 2)); // b (stale, no poisoning): x via a, 3 hops

    for (int ttl = 0; ttl <= 40; ttl++) {
      String at = "a";
      int left = ttl;
      int hops = 0;
      RoutingTable.Decision d;
      while ((d = nodes.get(at).decide("x", left)).kind() == RoutingTable.Decision.Kind.FORWARD) {
        at = d.route().nextHop();
        left = d.ttl();
        hops++;
        assertTrue(hops <= ttl, "ttl " + ttl + ": travelled " + hops + " hops");
      }
      assertEquals(RoutingTable.Decision.Kind.TTL_EXHAUSTED, d.kind(), "ttl " + ttl);
    }
  }

  @Test
  void destinations_boundedToMax_lastIdsLeftOut() {
    RoutingTable t = new RoutingTable("a");
    t.linkUp("b");
    Map<String, Integer> many = new HashMap<>();
    for (int i = 0; i < RoutingTable.MAX_DESTINATIONS + 50; i++) {
      many.put(String.format("n%04d", i), 1);
    }

    t.announce("b", many);

    assertEquals(RoutingTable.MAX_DESTINATIONS, t.routes().size());
    assertTrue(t.route("b").isPresent(), "the neighbour itself sorts first and is kept");
    assertFalse(t.route(String.format("n%04d", RoutingTable.MAX_DESTINATIONS + 49)).isPresent());
    assertNull(t.route("zz").orElse(null));
  }
}
