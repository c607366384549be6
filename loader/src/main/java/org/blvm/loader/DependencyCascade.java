package org.blvm.loader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.blvm.policy.Dependency;

/**
 * Stops and starts again the modules that depend on one that stops, like systemd's {@code
 * Requires=} with {@code After=} (docs/lifecycle.md, "Dependencies"). When a module is stopped,
 * unloaded, restarted or upgraded by the operator, the running modules that require it (directly or
 * through others) are stopped first, dependents before their dependencies; when it stops or fails
 * by itself (a crash, a limit, a policy reload) they are stopped just after. They are started
 * again, in dependency order, as soon as it is STARTED again (its automatic restart, an operator's
 * start, the new or the rolled-back version of an upgrade). Optional dependencies are not followed.
 *
 * <p>State changes are handed to one thread, {@code blvm-deps-cascade}, which does the stops and
 * starts they cause, in order; the operator's stops run on the caller. The lock guards only the map
 * of held dependents: no stop or start runs under it.
 */
final class DependencyCascade implements ModuleStateListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** At most this many cascades queued; more are logged and dropped. */
  static final int MAX_QUEUED = 1024;

  private final ModuleRegistry modules;
  private final DependencyStart starts;
  private final long stopGraceMs;
  private final ExecutorService worker;
  private final Object lock = new Object();

  /** A dependency → the dependents stopped because of it, in dependency order. Under lock. */
  private final Map<String, Set<String>> held = new HashMap<>();

  private volatile boolean closed;

  DependencyCascade(ModuleRegistry modules, DependencyStart starts, long stopGraceMs) {
    this.modules = modules;
    this.starts = starts;
    this.stopGraceMs = stopGraceMs;
    this.worker =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(MAX_QUEUED),
            r -> {
              Thread t = new Thread(r, "blvm-deps-cascade");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Stops the running modules that require {@code id}, directly or not, dependents first, each
   * gracefully with {@code why} (bounded like stopModule), and holds them to start again once
   * {@code id} is STARTED. Returns their names.
   */
  List<String> stopDependents(String id, String why) {
    List<LoadedModule> running = runningDependents(id);
    List<String> names = new ArrayList<>();
    for (int i = running.size() - 1; i >= 0; i--) {
      names.add(0, running.get(i).id());
    }
    if (!names.isEmpty()) {
      synchronized (lock) {
        held.computeIfAbsent(id, k -> new LinkedHashSet<>()).addAll(names);
      }
      LOG.log(System.Logger.Level.INFO, "module {0}: stopping its dependents {1}", id, names);
    }
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).stop(stopGraceMs, why);
    }
    return names;
  }

  /**
   * The live modules that require {@code id}, directly or not, each after every module it requires
   * among them.
   */
  private List<LoadedModule> runningDependents(String id) {
    Map<String, LoadedModule> found = new HashMap<>();
    List<String> frontier = new ArrayList<>(List.of(id));
    while (!frontier.isEmpty()) {
      String dep = frontier.remove(0);
      for (LoadedModule m : modules.all()) {
        if (requires(m, dep) && m.host().state().isLive() && !m.id().equals(id)) {
          if (found.putIfAbsent(m.id(), m) == null) {
            frontier.add(m.id());
          }
        }
      }
    }
    List<LoadedModule> out = new ArrayList<>();
    Set<String> placed = new LinkedHashSet<>();
    for (String name : new java.util.TreeSet<>(found.keySet())) {
      place(found.get(name), found, placed, out, 0);
    }
    return out;
  }

  /** Adds {@code m} to {@code out} after the modules it requires among {@code found}. */
  private static void place(
      LoadedModule m,
      Map<String, LoadedModule> found,
      Set<String> placed,
      List<LoadedModule> out,
      int depth) {
    if (placed.contains(m.id()) || depth > found.size()) {
      return; // placed, or a cycle (never among running modules: refused at start)
    }
    for (Dependency d : m.admitted().manifest().dependencies()) {
      LoadedModule dep = found.get(d.name());
      if (dep != null && !d.optional()) {
        place(dep, found, placed, out, depth + 1);
      }
    }
    if (placed.add(m.id())) {
      out.add(m);
    }
  }

  private static boolean requires(LoadedModule m, String dep) {
    for (Dependency d : m.admitted().manifest().dependencies()) {
      if (d.name().equals(dep) && !d.optional()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The automatic restart of {@code m} is due: when a dependency it requires is not STARTED (or not
   * loaded, or now outside its range), {@code m} is not launched: it stays FAILED, its detail names
   * the dependency, and it is held to start again once that dependency is STARTED. Returns whether
   * it was held.
   */
  boolean holdRestart(LoadedModule m) {
    for (Dependency d : m.admitted().manifest().dependencies()) {
      String why = d.optional() ? null : unmet(d);
      if (why != null) {
        synchronized (lock) {
          held.computeIfAbsent(d.name(), k -> new LinkedHashSet<>()).add(m.id());
        }
        m.host()
            .appendDetail(
                "not restarted: " + why + "; it starts again once " + d.name() + " is STARTED");
        LOG.log(System.Logger.Level.WARNING, "module {0} not restarted: {1}", m.id(), why);
        resume(d.name()); // it may have become STARTED meanwhile
        return true;
      }
    }
    return false;
  }

  /** Why the required dependency {@code d} is not met now, or null. */
  private String unmet(Dependency d) {
    String what = "dependency " + d.name() + " (" + d.range() + ")";
    LoadedModule dep = modules.get(d.name()).orElse(null);
    if (dep == null) {
      return what
          + modules
              .status(d.name())
              .map(s -> " is " + s.state() + ", not STARTED")
              .orElse(" is not loaded");
    }
    if (!d.range().contains(dep.admitted().manifest().semVer())) {
      return what + " is at version " + dep.admitted().manifest().version() + ", outside the range";
    }
    ModuleState s = dep.host().state();
    return s == ModuleState.STARTED ? null : what + " is " + s + ", not STARTED";
  }

  /** Starts again, on the cascade thread, the dependents held for {@code id}, if it is STARTED. */
  void resume(String id) {
    submit(() -> startHeld(id));
  }

  private void startHeld(String id) {
    if (closed) {
      return;
    }
    boolean started =
        modules.get(id).map(m -> m.host().state() == ModuleState.STARTED).orElse(false);
    Set<String> names;
    synchronized (lock) {
      names = started ? held.remove(id) : null; // otherwise held until it is STARTED
    }
    if (names == null) {
      return;
    }
    for (String name : names) {
      try {
        ModuleStatus s = starts.start(name);
        LOG.log(
            System.Logger.Level.INFO,
            "module {0} started again after its dependency {1}: {2}",
            name,
            id,
            s.state());
      } catch (IllegalStateException | IllegalArgumentException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0} not started again after {1}: {2}",
            name,
            id,
            e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void stateChanged(ModuleStateChange c) {
    if (closed) {
      return;
    }
    if (c.to() == ModuleState.STARTED) {
      resume(c.module());
    } else if (c.from().isLive()
        && (c.to() == ModuleState.FAILED || c.to() == ModuleState.STOPPING)) {
      String why =
          "stopped: its dependency "
              + c.module()
              + (c.to() == ModuleState.FAILED ? " failed" : " stopped")
              + (c.detail() == null ? "" : " (" + c.detail() + ")");
      submit(() -> stopDependents(c.module(), why));
    }
  }

  private void submit(Runnable r) {
    try {
      worker.execute(r);
    } catch (RejectedExecutionException e) {
      if (!closed) {
        LOG.log(System.Logger.Level.WARNING, "dependency cascade dropped: {0}", e.toString());
      }
    }
  }

  /** Stops handling state changes (before the modules are stopped at close). */
  @Override
  public void close() {
    closed = true;
    worker.shutdownNow();
  }
}
