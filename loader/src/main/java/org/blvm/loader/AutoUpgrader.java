package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.blvm.policy.Policy;

/**
 * Policy {@code auto_upgrade = true} (docs/lifecycle.md, "Automatic upgrades"): every {@code
 * auto_upgrade_interval_seconds} of the policy in force, each STARTED module whose policy in force
 * says {@code auto_upgrade} is upgraded to the version its directory holds, through the path of
 * {@code modules upgrade} ({@link ModuleManager#upgradeModule}: the same admission, rollback,
 * journal and dependency cascade). A directory whose content digest is the one of the last attempt
 * for that module is not tried again, whatever that attempt's outcome (upgraded, unchanged,
 * refused, rolled back): a version that failed is retried only once the directory changed. A module
 * not STARTED (stopped, failed, idle, starting) is skipped, and so is one whose upgrade is refused
 * because another upgrade runs or it is stopping (tried again at the next check).
 *
 * <p>The checks run on one daemon thread, {@code blvm-auto-upgrade}, started by {@link #start};
 * {@link #checkNow} is one check, on the caller's thread (tests call it instead of waiting). It
 * holds no lock.
 */
final class AutoUpgrader implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** The upgrade path of {@code modules upgrade}. */
  @FunctionalInterface
  interface Upgrade {
    ModuleUpgrade upgrade(String id) throws InterruptedException;
  }

  /** The loaded modules the checker looks at. */
  @FunctionalInterface
  interface StartedModules {
    /** The modules STARTED now, by name, with their directories in the modules directory. */
    Map<String, Path> started();
  }

  private final StartedModules modules;
  private final Supplier<Policy> policy;
  private final Upgrade upgrade;
  private final Supplier<ScheduledExecutorService> timers;
  private final Map<String, String> tried = new ConcurrentHashMap<>();
  private ScheduledExecutorService timer; // set once by start()
  private volatile boolean closed;

  AutoUpgrader(
      StartedModules modules,
      Supplier<Policy> policy,
      Upgrade upgrade,
      Supplier<ScheduledExecutorService> timers) {
    this.modules = modules;
    this.policy = policy;
    this.upgrade = upgrade;
    this.timers = timers;
  }

  /** The STARTED modules of {@code registry}. */
  static StartedModules of(ModuleRegistry registry) {
    return () -> {
      Map<String, Path> out = new LinkedHashMap<>();
      for (LoadedModule m : registry.all()) {
        if (m.host().state() == ModuleState.STARTED) {
          out.put(m.id(), m.moduleDir());
        }
      }
      return out;
    };
  }

  /** Starts the checks: the first one interval from now. Called once. */
  synchronized void start() {
    if (timer == null && !closed) {
      timer = timers.get();
      schedule();
    }
  }

  private synchronized void schedule() {
    if (closed) {
      return;
    }
    try {
      timer.schedule(this::run, policy.get().autoUpgradeIntervalSeconds(), TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void run() {
    try {
      checkNow();
    } catch (InterruptedException e) {
      return; // closed
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "auto-upgrade check failed: {0}", e.toString());
    }
    schedule(); // with the interval of the policy in force now
  }

  /**
   * One check of every STARTED module whose policy in force says {@code auto_upgrade}; returns the
   * upgrades it ran (in module order). Not to be called by two threads at once.
   */
  List<ModuleUpgrade> checkNow() throws InterruptedException {
    Policy p = policy.get();
    List<ModuleUpgrade> done = new ArrayList<>();
    for (Map.Entry<String, Path> e : modules.started().entrySet()) {
      if (closed) {
        break;
      }
      String id = e.getKey();
      if (!p.forModule(id).autoUpgrade()) {
        continue;
      }
      String digest;
      try {
        digest = DirectoryDigest.of(e.getValue());
      } catch (IOException ex) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: auto-upgrade cannot read {1}: {2}",
            id,
            e.getValue(),
            ex.toString());
        continue;
      }
      if (digest.equals(tried.get(id))) {
        continue;
      }
      ModuleUpgrade up;
      try {
        up = upgrade.upgrade(id);
      } catch (IllegalArgumentException | IllegalStateException ex) {
        // another upgrade runs, or the module is stopping or gone: the next check looks again
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: auto-upgrade skipped: {1}",
            id,
            ex.getMessage());
        continue;
      }
      tried.put(id, digest);
      done.add(up);
      logged(up);
    }
    return done;
  }

  /**
   * An operator rolled {@code id} back: the content its directory holds now counts as tried, so the
   * version rolled back from is not upgraded to again until the directory changes.
   */
  void rolledBack(String id, Path dir) {
    try {
      tried.put(id, DirectoryDigest.of(dir));
    } catch (IOException ex) {
      tried.remove(id); // unreadable now: the next check reads it again, as for any module
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: auto-upgrade cannot read {1} after a rollback: {2}",
          id,
          dir,
          ex.toString());
    }
  }

  private static void logged(ModuleUpgrade up) {
    switch (up.outcome()) {
      case UPGRADED ->
          LOG.log(
              System.Logger.Level.INFO,
              "module {0}: auto-upgraded {1} to {2}",
              up.module(),
              up.from(),
              up.to());
      case UNCHANGED -> {}
      default ->
          LOG.log(
              System.Logger.Level.WARNING,
              "module {0}: auto-upgrade {1}: {2}; not tried again until its directory changes",
              up.module(),
              up.outcome(),
              up.reason());
    }
  }

  @Override
  public void close() {
    ScheduledExecutorService t;
    synchronized (this) {
      closed = true;
      t = timer;
    }
    if (t != null) {
      t.shutdownNow();
    }
  }
}
