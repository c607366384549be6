package org.blvm.loader;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.blvm.policy.Dependency;
import org.blvm.policy.ModuleManifest;

/**
 * Starts modules with their dependencies met (docs/lifecycle.md, "Dependencies"): at node start
 * every module directory is admitted first, the {@link DependencyGraph} orders them and names the
 * ones that cannot start (FAILED with the reason), and each of the others is launched once the
 * modules it starts after are STARTED; an operator's start of one module checks its dependencies
 * against the modules running then. Every wait is bounded by the dependency's connect deadline and
 * {@link Upgrader#READY_MARGIN_MS}. Holds no lock.
 */
final class DependencyStart {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private final ModuleDiscovery discovery;
  private final ModuleRunner runner;
  private final ModuleRegistry modules;

  DependencyStart(ModuleDiscovery discovery, ModuleRunner runner, ModuleRegistry modules) {
    this.discovery = discovery;
    this.runner = runner;
    this.modules = modules;
  }

  /** Admits every directory, then starts the modules in dependency order. */
  void startAll(List<Path> dirs) throws InterruptedException {
    Map<String, ModuleDiscovery.Outcome> admitted = new TreeMap<>();
    Map<String, Path> dirOf = new HashMap<>();
    Map<String, String> refused = new HashMap<>();
    for (Path dir : dirs) {
      ModuleDiscovery.Outcome o = discovery.admit(dir);
      String name = dir.getFileName().toString();
      if (o.refused() != null) {
        runner.launch(o, dir);
        refused.put(name, o.refused().detail());
      } else {
        admitted.put(name, o);
        dirOf.put(name, dir);
      }
    }
    List<DependencyGraph.Node> nodes = new ArrayList<>();
    for (ModuleDiscovery.Outcome o : admitted.values()) {
      ModuleManifest m = o.admitted().manifest();
      nodes.add(new DependencyGraph.Node(m.name(), m.semVer(), m.dependencies()));
    }
    DependencyGraph graph = DependencyGraph.resolve(nodes, refused);
    for (Map.Entry<String, String> e : graph.blocked().entrySet()) {
      refuse(admitted.get(e.getKey()), dirOf.get(e.getKey()), e.getValue());
    }
    for (String name : graph.order()) {
      ModuleDiscovery.Outcome o = admitted.get(name);
      String why = awaitDependencies(o.admitted().manifest());
      if (why == null) {
        runner.launchOrIdle(o, dirOf.get(name));
      } else {
        refuse(o, dirOf.get(name), why);
      }
    }
  }

  /**
   * {@code ModuleManager.startModule(id)}: a module loaded before starts from its pinned copy, one
   * not loaded is admitted from its directory; either only when its required dependencies run (an
   * unmet one: a loaded module is refused with {@link IllegalStateException}, one admitted now is
   * FAILED with the reason).
   *
   * @throws IllegalArgumentException when there is no such module directory
   * @throws IllegalStateException when it runs, or (loaded before) a dependency does not run
   */
  ModuleStatus start(String id) throws InterruptedException {
    if (id != null && runner.startsOnDemand(id)) {
      return runner.startById(id); // its starter launches it
    }
    LoadedModule old = modules.get(id).orElse(null);
    if (old != null) {
      ModuleState s = old.host().state();
      if (s.isLive() || s == ModuleState.STOPPING) {
        return runner.startById(id); // refuses it, naming the state
      }
      String why = awaitDependencies(old.admitted().manifest());
      if (why != null) {
        throw new IllegalStateException("module " + id + " cannot start: " + why);
      }
      return runner.startById(id);
    }
    if (id == null || !NAME.matcher(id).matches()) {
      return runner.startById(id); // refuses it, naming why
    }
    Path dir = discovery.modulesDir().resolve(id);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return runner.startById(id); // refuses it, naming why
    }
    return startDir(dir);
  }

  /**
   * {@code ModuleManager.startModule(dir)}: admits the module in {@code dir} and launches it once
   * its required dependencies run; FAILED with the reason otherwise.
   */
  ModuleStatus startDir(Path dir) throws InterruptedException {
    ModuleDiscovery.Outcome o = discovery.admit(dir);
    if (o.refused() != null) {
      return runner.launch(o, dir);
    }
    String why = awaitDependencies(o.admitted().manifest());
    return why == null ? runner.launchOrIdle(o, dir) : refuse(o, dir, why);
  }

  /**
   * Waits until every module {@code manifest} starts after is STARTED; returns why a required one
   * is not (missing, outside its range, or not STARTED in time), or null. An optional one that is
   * missing, outside its range or does not start is not waited for again.
   */
  String awaitDependencies(ModuleManifest manifest) throws InterruptedException {
    for (Dependency d : manifest.dependencies()) {
      String what = "dependency " + d.name() + " (" + d.range() + ")";
      LoadedModule dep = modules.get(d.name()).orElse(null);
      if (dep == null) {
        if (d.optional()) {
          continue;
        }
        if (runner.startsOnDemand(d.name())) {
          return what + " starts on demand, and a required dependency must be started eagerly";
        }
        return what
            + modules
                .status(d.name())
                .map(s -> " was refused: " + s.detail())
                .orElse(" is not installed");
      }
      String version = dep.admitted().manifest().version();
      if (!d.range().contains(dep.admitted().manifest().semVer())) {
        if (d.optional()) {
          continue;
        }
        return what + " is at version " + version + ", outside the range";
      }
      long bound =
          dep.admitted().modulePolicy().connectTimeoutSeconds() * 1000L + Upgrader.READY_MARGIN_MS;
      if (!dep.host().awaitState(ModuleState.STARTED, bound) && !d.optional()) {
        ModuleStatus s = dep.host().status();
        return what
            + " is "
            + s.state()
            + (s.detail() == null ? "" : " (" + s.detail() + ")")
            + ", not STARTED";
      }
    }
    return null;
  }

  /** Records an admitted module that cannot start as FAILED with {@code why}. */
  private ModuleStatus refuse(ModuleDiscovery.Outcome o, Path dir, String why) {
    ModuleManifest m = o.admitted().manifest();
    LOG.log(System.Logger.Level.WARNING, "module {0} not started: {1}", m.name(), why);
    ModuleStatus failed =
        new ModuleStatus(m.name(), m.version(), ModuleState.FAILED, OptionalLong.empty(), why);
    return runner.launch(new ModuleDiscovery.Outcome(null, failed, o.by()), dir);
  }
}
