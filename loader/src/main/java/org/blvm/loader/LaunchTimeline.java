package org.blvm.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Diagnostics of one module launch: the time since the launch began at which each of its steps
 * ended, from the module directory's preparation to the welcome, and how many processes the launch
 * spawned. Logged once at DEBUG on {@code blvm.loader.launch} when the welcome is queued (the
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

  /** Adds the launcher's own steps (in their order, with their {@code System.nanoTime()}). */
  synchronized void launched(Map<String, Long> launcherSteps, int processesSpawned) {
    launcherSteps.forEach(this::at);
    processes = processesSpawned;
  }

  /**
   * The steps as {@code name=MS} pairs (milliseconds since the launch began, two decimals) and
   * {@code processes=N}, in the order they were marked.
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
    return b.append("processes=").append(Integer.toString(processes)).toString();
  }

  /** Marks {@code last} and logs the breakdown once (the first welcome of this launch). */
  void report(String last) {
    synchronized (this) {
      if (reported) {
        return;
      }
      at(last, System.nanoTime());
      reported = true;
    }
    if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
      LOG.log(System.Logger.Level.DEBUG, "module {0} launch steps (ms): {1}", moduleId, describe());
    }
  }
}
