package org.blvm.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Diagnostics of one module launch: the time since the launch began at which each of its steps
 * ended, from the module directory's preparation to the welcome, how many processes the launch
 * spawned, and, for a JVM given a class-data archive, whether it mapped it. Logged once at DEBUG on
 * {@code blvm.loader.launch} when the connection has started after the welcome was queued (the
 * benchmark reads that line; docs/performance.md, "Launch breakdown"). Steps are marked from the
 * launching thread and then from the module's accept thread; at most {@link #MAX_STEPS} are kept.
 */
final class LaunchTimeline {
  static final String LOGGER = "blvm.loader.launch";
  static final int MAX_STEPS = 32;
  private static final System.Logger LOG = System.getLogger(LOGGER);

  private record Step(String name, long nanos) {}

  private final String moduleId;
  private final long startNanos = System.nanoTime();

  /** guarded by this */
  private final List<Step> steps = new ArrayList<>();

  /** guarded by this */
  private int processes;

  /** guarded by this */
  private boolean reported;

  /** guarded by this: whether the module's process mapped its class-data archive, or null */
  private java.util.function.LongFunction<java.util.Optional<Boolean>> archiveCheck;

  /** guarded by this: the check's answer */
  private java.util.Optional<Boolean> archiveMapped = java.util.Optional.empty();

  /** guarded by this */
  private boolean logged;

  LaunchTimeline(String moduleId) {
    this.moduleId = moduleId;
  }

  /** Marks that step {@code name} ended now. */
  void mark(String name) {
    at(name, System.nanoTime());
  }

  private synchronized void at(String name, long nanos) {
    if (!reported && steps.size() < MAX_STEPS) {
      steps.add(new Step(name, nanos));
    }
  }

  /**
   * Sets what runs when the launch ended (a JVM module: whether its process, by host pid, mapped
   * the class-data archive it was given), run by {@link #started} after the welcome, outside the
   * launch → welcome steps.
   */
  synchronized void checkArchive(java.util.function.LongFunction<java.util.Optional<Boolean>> c) {
    archiveCheck = c;
  }

  /** Adds the launcher's own steps (in their order, with their {@code System.nanoTime()}). */
  synchronized void launched(Map<String, Long> launcherSteps, int processesSpawned) {
    launcherSteps.forEach(this::at);
    processes = processesSpawned;
  }

  /**
   * The steps as {@code name=MS} pairs (milliseconds since the launch began, two decimals), {@code
   * processes=N}, and {@code archive-mapped=1} or {@code 0} when a class-data archive was given and
   * its check could tell, in the order they were marked.
   */
  synchronized String describe() {
    StringBuilder b = new StringBuilder();
    for (Step s : steps) {
      long micros = (s.nanos() - startNanos) / 1000;
      b.append(s.name())
          .append('=')
          .append(Long.toString(micros / 1000))
          .append('.')
          .append(String.format("%02d", (micros % 1000) / 10))
          .append(' ');
    }
    b.append("processes=").append(Integer.toString(processes));
    archiveMapped.ifPresent(m -> b.append(" archive-mapped=").append(m ? '1' : '0'));
    return b.toString();
  }

  /** Marks {@code last}, the last step (the first welcome of this launch). */
  synchronized void report(String last) {
    if (!reported) {
      at(last, System.nanoTime());
      reported = true;
    }
  }

  /**
   * After the reported welcome, once the connection of process {@code pid} has started: runs the
   * class-data archive check, if any, and logs the breakdown once.
   */
  void started(long pid) {
    java.util.function.LongFunction<java.util.Optional<Boolean>> check;
    synchronized (this) {
      if (!reported || logged) {
        return;
      }
      logged = true;
      check = archiveCheck;
    }
    if (check != null) {
      java.util.Optional<Boolean> m;
      try {
        m = check.apply(pid);
      } catch (RuntimeException e) { // never a reason to drop the module's connection
        LOG.log(System.Logger.Level.WARNING, "module {0}: launch check failed: {1}", moduleId, e);
        m = java.util.Optional.empty();
      }
      synchronized (this) {
        archiveMapped = m;
      }
    }
    if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
      LOG.log(System.Logger.Level.DEBUG, "module {0} launch steps (ms): {1}", moduleId, describe());
    }
  }
}
