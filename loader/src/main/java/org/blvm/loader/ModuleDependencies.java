package org.blvm.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import org.blvm.policy.Dependency;

/**
 * Both directions of a module's dependencies now: the modules it declares it depends on, and the
 * loaded modules that declare they depend on it (docs/lifecycle.md, "Dependencies").
 *
 * @param dependsOn its {@code [dependencies]}, in the manifest's order (empty for a module refused
 *     at admission: its manifest was not believed)
 * @param requiredBy the loaded modules declaring a dependency on it, by name
 */
public record ModuleDependencies(List<Edge> dependsOn, List<Edge> requiredBy) {
  public ModuleDependencies {
    dependsOn = List.copyOf(dependsOn);
    requiredBy = List.copyOf(requiredBy);
  }

  /**
   * One declared dependency.
   *
   * @param module the other module: the dependency in {@code dependsOn}, the dependent in {@code
   *     requiredBy}
   * @param range the versions the dependent accepts
   * @param optional whether it only orders the start
   * @param state the other module's state, or null when the loader does not know it
   * @param version the other module's version, or null when not loaded
   */
  public record Edge(
      String module, String range, boolean optional, ModuleState state, String version) {
    public Edge {
      Objects.requireNonNull(module, "module");
      Objects.requireNonNull(range, "range");
    }
  }

  /** Reads them from the registry; empty lists for a module it does not know. */
  static ModuleDependencies of(ModuleRegistry modules, String id) {
    List<Edge> on = new ArrayList<>();
    LoadedModule self = modules.get(id).orElse(null);
    if (self != null) {
      for (Dependency d : self.admitted().manifest().dependencies()) {
        on.add(edge(modules, d.name(), d));
      }
    }
    TreeMap<String, Edge> by = new TreeMap<>();
    for (LoadedModule m : modules.all()) {
      m.admitted()
          .manifest()
          .dependency(id)
          .ifPresent(d -> by.put(m.id(), edge(modules, m.id(), d)));
    }
    return new ModuleDependencies(on, List.copyOf(by.values()));
  }

  private static Edge edge(ModuleRegistry modules, String other, Dependency d) {
    LoadedModule m = modules.get(other).orElse(null);
    ModuleState state =
        m != null ? m.host().state() : modules.status(other).map(ModuleStatus::state).orElse(null);
    String version = m == null ? null : m.admitted().manifest().version();
    return new Edge(other, d.range().toString(), d.optional(), state, version);
  }
}
