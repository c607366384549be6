package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.blvm.policy.Dependency;
import org.blvm.policy.SemVer;
import org.blvm.policy.VersionRange;
import org.junit.jupiter.api.Test;

class DependencyGraphTest {
  private static DependencyGraph.Node node(String name, String version, Dependency... deps) {
    return new DependencyGraph.Node(name, SemVer.parse(version), List.of(deps));
  }

  private static Dependency req(String name, String range) {
    return new Dependency(name, VersionRange.parse(range));
  }

  private static Dependency opt(String name, String range) {
    return new Dependency(name, VersionRange.parse(range), true);
  }

  private static DependencyGraph resolve(DependencyGraph.Node... nodes) {
    return DependencyGraph.resolve(List.of(nodes), Map.of());
  }

  @Test
  void order_dependenciesFirst_tiesByName() {
    DependencyGraph g =
        resolve(
            node("wallet", "1.0.0", req("store", ">=1.0.0"), req("lightning", ">=1.0.0")),
            node("lightning", "1.2.0", req("store", ">=1.0.0, <2.0.0")),
            node("store", "1.0.0"),
            node("alpha", "0.1.0"),
            node("zeta", "0.1.0"));

    assertEquals(List.of("alpha", "store", "lightning", "wallet", "zeta"), g.order());
    assertTrue(g.blocked().isEmpty(), g.blocked().toString());
    assertEquals(List.of("store", "lightning"), g.startsAfter("wallet"));
  }

  @Test
  void resolve_missingRequired_blockedNamingIt_andItsDependentsToo_othersStart() {
    DependencyGraph g =
        resolve(
            node("a", "1.0.0", req("lightning", ">=1.0.0, <2.0.0")),
            node("b", "1.0.0", req("a", "1.0.0")),
            node("c", "1.0.0"));

    assertEquals(List.of("c"), g.order());
    assertEquals("dependency lightning (>=1.0.0, <2.0.0) is not installed", g.blocked().get("a"));
    assertTrue(
        g.blocked()
            .get("b")
            .startsWith("dependency a (=1.0.0) cannot start: dependency lightning"));
  }

  @Test
  void resolve_outOfRangeOrRefused_blockedNamingTheVersionOrTheRefusal() {
    DependencyGraph g =
        DependencyGraph.resolve(
            List.of(
                node("a", "1.0.0", req("store", ">=2.0.0")),
                node("b", "1.0.0", req("bad", ">=1.0.0")),
                node("store", "1.5.0")),
            Map.of("bad", "signature by untrusted key"));

    assertEquals(List.of("store"), g.order());
    assertEquals(
        "dependency store (>=2.0.0) is at version 1.5.0, outside the range", g.blocked().get("a"));
    assertEquals(
        "dependency bad (>=1.0.0) was refused: signature by untrusted key", g.blocked().get("b"));
  }

  @Test
  void resolve_cycle_membersBlockedNamingTheCycle_dependentBlocked_othersStart() {
    DependencyGraph g =
        resolve(
            node("x", "1.0.0", req("y", ">=1.0.0")),
            node("y", "1.0.0", req("z", ">=1.0.0")),
            node("z", "1.0.0", req("x", ">=1.0.0")),
            node("user", "1.0.0", req("y", ">=1.0.0")),
            node("loose", "1.0.0", opt("x", ">=1.0.0")),
            node("free", "1.0.0"));

    assertEquals(List.of("free", "loose"), g.order());
    for (String m : List.of("x", "y", "z")) {
      assertEquals("dependency cycle: x -> y -> z -> x", g.blocked().get(m), m);
    }
    assertEquals(
        "dependency y (>=1.0.0) cannot start: dependency cycle: x -> y -> z -> x",
        g.blocked().get("user"));
  }

  @Test
  void resolve_optional_ordersWhenPresentAndInRange_otherwiseIgnored() {
    DependencyGraph g =
        resolve(
            node("a", "1.0.0", opt("z", ">=1.0.0"), opt("missing", ">=1.0.0")),
            node("b", "1.0.0", opt("z", ">=5.0.0")),
            node("z", "1.0.0"));

    assertEquals(List.of("b", "z", "a"), g.order());
    assertEquals(List.of("z"), g.startsAfter("a"));
    assertEquals(List.of(), g.startsAfter("b"));
    assertTrue(g.blocked().isEmpty());
  }

  @Test
  void resolve_longChain_orderedWithoutDeepRecursion() {
    List<DependencyGraph.Node> nodes = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      String name = String.format("m%03d", i);
      nodes.add(
          i == 0
              ? node(name, "1.0.0")
              : node(name, "1.0.0", req(String.format("m%03d", i - 1), "1.0.0")));
    }
    DependencyGraph g = DependencyGraph.resolve(nodes, Map.of());

    assertEquals(256, g.order().size());
    assertEquals("m255", g.order().get(255));
  }
}
