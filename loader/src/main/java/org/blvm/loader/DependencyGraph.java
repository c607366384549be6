package org.blvm.loader;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.blvm.policy.Dependency;
import org.blvm.policy.SemVer;

/**
 * The modules' declared dependencies, resolved once over a set of admitted modules: the order to
 * start them in and which of them cannot start, with why (docs/lifecycle.md, "Dependencies"). Pure:
 * it reads nothing and starts nothing.
 *
 * <ul>
 *   <li>A <b>required</b> dependency must be admitted and its version within the range; a missing
 *       one, one refused at admission, one outside the range, and one that cannot start itself make
 *       the dependent blocked, the reason naming the dependency.
 *   <li>An <b>optional</b> dependency only orders the start: when it is admitted and within its
 *       range the dependent starts after it; missing, refused, blocked or outside its range it is
 *       ignored.
 *   <li>The modules of a cycle (of required edges and optional edges that order) are blocked, the
 *       reason naming the cycle; a module depending on one is blocked as on any module that cannot
 *       start (only if it requires it).
 *   <li>{@link #order()} is a topological order of the others, ties broken by name.
 * </ul>
 */
final class DependencyGraph {
  /** An admitted module: its name, version and declared dependencies. */
  record Node(String name, SemVer version, List<Dependency> dependencies) {
    Node {
      dependencies = List.copyOf(dependencies);
    }
  }

  /** A reason quoted inside another is cut to this many characters. */
  static final int MAX_QUOTED = 200;

  private final Map<String, Node> nodes = new TreeMap<>();
  private final Map<String, List<String>> after = new TreeMap<>();
  private final Map<String, String> blocked = new TreeMap<>();
  private final List<String> order = new ArrayList<>();

  private DependencyGraph() {}

  /**
   * Resolves {@code admitted} (names unique) against each other; {@code refused} names modules
   * refused at admission, with why.
   */
  static DependencyGraph resolve(Collection<Node> admitted, Map<String, String> refused) {
    DependencyGraph g = new DependencyGraph();
    for (Node n : admitted) {
      if (g.nodes.put(n.name(), n) != null) {
        throw new IllegalArgumentException("module " + n.name() + " given twice");
      }
    }
    Map<String, String> direct = new HashMap<>();
    for (Node n : g.nodes.values()) {
      List<String> edges = new ArrayList<>();
      for (Dependency d : n.dependencies()) {
        Node dep = g.nodes.get(d.name());
        boolean inRange = dep != null && d.range().contains(dep.version());
        if (inRange) {
          edges.add(d.name());
        } else if (!d.optional() && !direct.containsKey(n.name())) {
          direct.put(n.name(), unmet(d, dep, refused.get(d.name())));
        }
      }
      g.after.put(n.name(), edges);
    }
    // a cycle's members cannot start; cutting their own edges lets the others be ordered
    for (Cycles.Cycle c : Cycles.of(g.after)) {
      String why = "dependency cycle: " + String.join(" -> ", c.loop()) + " -> " + c.loop().get(0);
      for (String m : c.members()) {
        direct.putIfAbsent(m, why);
        g.after.put(m, List.of());
      }
    }
    g.order(direct);
    return g;
  }

  private static String unmet(Dependency d, Node found, String refusedWhy) {
    String what = "dependency " + d.name() + " (" + d.range() + ")";
    if (found != null) {
      return what + " is at version " + found.version() + ", outside the range";
    }
    if (refusedWhy != null) {
      return what + " was refused: " + cut(refusedWhy);
    }
    return what + " is not installed";
  }

  private static String cut(String s) {
    return s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED) + "…";
  }

  /** Kahn's algorithm, smallest name first; blocks propagate along required edges. */
  private void order(Map<String, String> direct) {
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<String>> dependents = new HashMap<>();
    for (Map.Entry<String, List<String>> e : after.entrySet()) {
      pending.put(e.getKey(), e.getValue().size());
      for (String dep : e.getValue()) {
        dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(e.getKey());
      }
    }
    PriorityQueue<String> ready = new PriorityQueue<>();
    for (Map.Entry<String, Integer> e : pending.entrySet()) {
      if (e.getValue() == 0) {
        ready.add(e.getKey());
      }
    }
    List<String> visited = new ArrayList<>();
    while (!ready.isEmpty()) {
      String name = ready.poll();
      visited.add(name);
      String why = direct.get(name);
      if (why == null) {
        why = blockedRequired(name);
      }
      if (why != null) {
        blocked.put(name, why);
      } else {
        order.add(name);
      }
      for (String d : dependents.getOrDefault(name, List.of())) {
        if (pending.merge(d, -1, Integer::sum) == 0) {
          ready.add(d);
        }
      }
    }
    if (visited.size() != nodes.size()) {
      throw new AssertionError("cycles were cut before ordering");
    }
  }

  /** Why {@code name} cannot start because a required dependency cannot, or null. */
  private String blockedRequired(String name) {
    for (Dependency d : nodes.get(name).dependencies()) {
      String why = blocked.get(d.name());
      if (!d.optional() && why != null && after.get(name).contains(d.name())) {
        return "dependency " + d.name() + " (" + d.range() + ") cannot start: " + cut(why);
      }
    }
    return null;
  }

  /** The modules that can start, each after the modules it depends on; ties by name. */
  List<String> order() {
    return List.copyOf(order);
  }

  /** The modules that cannot start, by name, with why. */
  Map<String, String> blocked() {
    return new LinkedHashMap<>(blocked);
  }

  /**
   * The modules {@code name} starts after: its required dependencies and its optional ones that are
   * present and within range.
   */
  List<String> startsAfter(String name) {
    return List.copyOf(after.getOrDefault(name, List.of()));
  }

  /** Finds the cycles (strongly connected components of more than one module) among some nodes. */
  static final class Cycles {
    private Cycles() {}

    /**
     * A strongly connected component of more than one module: all its members, and a loop through
     * some of them starting at its smallest name.
     */
    record Cycle(List<String> loop, Set<String> members) {}

    /**
     * Every cycle among the graph's modules, by smallest name. Quadratic in the modules (bounded by
     * the loader's module count).
     */
    static List<Cycle> of(Map<String, List<String>> edges) {
      TreeSet<String> set = new TreeSet<>(edges.keySet());
      Map<String, TreeSet<String>> reach = new HashMap<>();
      for (String m : set) {
        reach.put(m, reachable(m, set, edges));
      }
      List<Cycle> out = new ArrayList<>();
      TreeSet<String> done = new TreeSet<>();
      for (String m : set) {
        if (done.contains(m) || !reach.get(m).contains(m)) {
          continue;
        }
        TreeSet<String> component = new TreeSet<>();
        for (String o : reach.get(m)) {
          if (reach.get(o).contains(m)) {
            component.add(o);
          }
        }
        done.addAll(component);
        out.add(new Cycle(walk(m, component, edges), Set.copyOf(component)));
      }
      return out;
    }

    private static TreeSet<String> reachable(
        String from, TreeSet<String> set, Map<String, List<String>> edges) {
      TreeSet<String> seen = new TreeSet<>();
      List<String> stack = new ArrayList<>(List.of(from));
      while (!stack.isEmpty()) {
        for (String e : edges.getOrDefault(stack.remove(stack.size() - 1), List.of())) {
          if (set.contains(e) && seen.add(e)) {
            stack.add(e);
          }
        }
      }
      return seen;
    }

    /**
     * Follows the smallest-named edge within {@code component} from its smallest member {@code
     * start} until a module repeats (it always does: every member has an edge within it); the loop
     * found, rotated to start at its smallest name.
     */
    private static List<String> walk(
        String start, TreeSet<String> component, Map<String, List<String>> edges) {
      List<String> path = new ArrayList<>();
      String at = start;
      while (!path.contains(at)) {
        path.add(at);
        String next = null;
        for (String e : edges.getOrDefault(at, List.of())) {
          if (component.contains(e) && (next == null || e.compareTo(next) < 0)) {
            next = e;
          }
        }
        at = next;
      }
      List<String> loop = new ArrayList<>(path.subList(path.indexOf(at), path.size()));
      int min = loop.indexOf(new TreeSet<>(loop).first());
      List<String> rotated = new ArrayList<>(loop.subList(min, loop.size()));
      rotated.addAll(loop.subList(0, min));
      return rotated;
    }
  }
}
