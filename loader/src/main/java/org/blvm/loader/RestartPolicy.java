package org.blvm.loader;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.RestartRule;

/**
 * Applies each module's restart rule after it failed while running: at most {@code max_restarts}
 * within {@code window_seconds}, after a backoff doubling from {@code backoff_initial_ms} up to
 * {@code backoff_max_ms}; {@code on_failure} does not restart a module that exited with status 0;
 * {@code never} never restarts. Restarts run on the one thread {@code blvm-restart}. Elapsed time
 * comes from an injected {@link Ticker}.
 */
final class RestartPolicy implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** What the policy decided for one failure. */
  sealed interface Decision permits Restart, Refused, NotWanted {}

  /** Restart after {@code delayMs}; the {@code attempt}-th restart within the window. */
  record Restart(long delayMs, int attempt) implements Decision {}

  /** The rule would restart, but its budget is spent: {@code why} goes into the status. */
  record Refused(String why) implements Decision {}

  /** The rule does not restart this failure (mode never, or on_failure after status 0). */
  record NotWanted() implements Decision {}

  private final Ticker ticker;
  private final Map<String, ArrayDeque<Long>> history = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> restarts = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> decisions = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> scheduled = new ConcurrentHashMap<>();
  private final ScheduledExecutorService restarter = DaemonThreads.scheduler("blvm-restart");

  RestartPolicy(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Decides what to do about a failure of {@code module}; records a restart it allows. */
  Decision decide(String module, RestartRule rule, Integer exitStatus) {
    decisions.computeIfAbsent(module, k -> new AtomicLong()).incrementAndGet();
    if (rule.mode() == RestartRule.Mode.NEVER
        || (rule.mode() == RestartRule.Mode.ON_FAILURE && exitStatus != null && exitStatus == 0)) {
      return new NotWanted();
    }
    long now = ticker.nanoTime();
    long window = TimeUnit.SECONDS.toNanos(rule.windowSeconds());
    ArrayDeque<Long> times = history.computeIfAbsent(module, k -> new ArrayDeque<>());
    synchronized (times) {
      return decide(times, now, window, rule);
    }
  }

  /** Caller holds {@code times}' monitor. */
  private static Decision decide(ArrayDeque<Long> times, long now, long window, RestartRule rule) {
    assert Thread.holdsLock(times);
    while (!times.isEmpty() && now - times.peekFirst() > window) {
      times.pollFirst();
    }
    if (times.size() >= rule.maxRestarts()) {
      return new Refused(
          "not restarted: "
              + times.size()
              + " restarts within "
              + rule.windowSeconds()
              + " s already (max_restarts)");
    }
    int attempt = times.size() + 1;
    long delayMs =
        Math.min(rule.backoffMaxMs(), (long) rule.backoffInitialMs() << Math.min(20, attempt - 1));
    times.addLast(now);
    return new Restart(delayMs, attempt);
  }

  /**
   * Applies the rule to a failure: logs the decision and schedules {@code restart} after the
   * backoff, or appends why not to the module's status. Never blocks.
   */
  void failed(
      String module, RestartRule rule, Integer exitStatus, ModuleHost host, Runnable restart) {
    Decision d = decide(module, rule, exitStatus);
    if (d instanceof Refused r) {
      LOG.log(System.Logger.Level.ERROR, "module {0} {1}", module, r.why());
      host.appendDetail(r.why());
    } else if (d instanceof Restart r) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0} will be restarted in {1} ms (restart {2} of at most {3} in {4} s)",
          module,
          Long.toString(r.delayMs()),
          Integer.toString(r.attempt()),
          Integer.toString(rule.maxRestarts()),
          Integer.toString(rule.windowSeconds()));
      try {
        restarter.schedule(restart, r.delayMs(), TimeUnit.MILLISECONDS);
        scheduled.computeIfAbsent(module, k -> new AtomicLong()).incrementAndGet();
      } catch (RejectedExecutionException e) {
        // closing
      }
    }
  }

  /** Counts a restart that was carried out. */
  void restarted(String module) {
    restarts.computeIfAbsent(module, k -> new AtomicLong()).incrementAndGet();
  }

  /** How many times the module was restarted after failing. */
  long restarts(String module) {
    AtomicLong n = restarts.get(module);
    return n == null ? 0 : n.get();
  }

  /** How many failures of the module were decided on (for tests). */
  long decisions(String module) {
    AtomicLong n = decisions.get(module);
    return n == null ? 0 : n.get();
  }

  /** How many restarts of the module were scheduled (for tests). */
  long scheduled(String module) {
    AtomicLong n = scheduled.get(module);
    return n == null ? 0 : n.get();
  }

  /**
   * Stops scheduling; a restart already running finishes first (bounded), so that no module is
   * launched behind the closing manager's back.
   */
  @Override
  public void close() {
    restarter.shutdownNow();
    try {
      if (!restarter.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.ERROR, "a module restart did not finish within 10 s of close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
