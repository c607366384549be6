package org.blvm.loader;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Keeps every running module's data directory within {@code data_mb} and {@code data_files}: one
 * thread for all modules ({@code blvm-data-usage}) measures each directory every {@code interval}
 * (and once right after each launch), examining at most {@code budget} entries of each per pass
 * ({@link DataWalk}: a larger tree is measured over several passes, carrying on where the last pass
 * stopped) plus, each pass, the deleted files the module's processes hold open ({@link
 * DeletedFiles}, at most {@code budget} descriptors). A module found over a limit, or whose
 * directory cannot be measured, is stopped through its {@link Subject#stop} with the reason.
 *
 * <p>It never blocks module traffic: it holds no lock anything else takes, and a stop only changes
 * the module's state and kills its process. Walks (and the directories they hold open between
 * passes) are only touched on the monitor's thread, or after it ended.
 */
final class DataUsageMonitor implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.data");
  private static final long TROUBLE_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

  /**
   * A launched module to watch.
   *
   * @param id its name
   * @param dataDir its data directory (made by the loader)
   * @param pid the launched process (its descendants are the module's processes), or -1
   * @param live whether the launch is still running; a watch ends once it is not
   * @param stop ends the launch, without restart, with the reason
   */
  record Subject(String id, Path dataDir, long pid, BooleanSupplier live, Consumer<String> stop) {}

  private final long intervalMs;
  private final int budget;
  private final Ticker ticker;
  private final ScheduledExecutorService thread = DaemonThreads.scheduler("blvm-data-usage");
  private final Map<String, Watch> watches = new ConcurrentHashMap<>();
  private final Set<Watch> unreleased = ConcurrentHashMap.newKeySet();
  private boolean scheduled; // guarded by this
  private volatile boolean closed;

  /**
   * @param intervalMs time between passes
   * @param budget entries (and descriptors) examined per module per pass
   */
  DataUsageMonitor(long intervalMs, int budget, Ticker ticker) {
    this.intervalMs = intervalMs;
    this.budget = budget;
    this.ticker = ticker;
  }

  /** One module's measurement. The walk is touched only on the monitor's thread. */
  private final class Watch {
    final Subject subject;
    final LimitResolver.DataLimit limit;
    final DataWalk walk;
    volatile DataUsage usage;
    long dev = -1;
    long walks;
    long lastTroubleLog;
    boolean troubleLogged;
    boolean released;

    Watch(Subject subject, LimitResolver.DataLimit limit) {
      this.subject = subject;
      this.limit = limit;
      this.walk = new DataWalk(subject.dataDir().toString(), limit.bytes(), limit.entries());
      this.usage = new DataUsage(0, 0, 0, limit.bytes(), limit.entries(), 0);
    }

    void release() {
      released = true;
      walk.close();
      unreleased.remove(this);
    }
  }

  /**
   * Watches a launched module until its launch ends (or it is watched again under the same name);
   * measures it at once, then every interval.
   */
  void watch(Subject subject, LimitResolver.DataLimit limit) {
    if (closed) {
      return;
    }
    Watch w = new Watch(subject, limit);
    unreleased.add(w);
    Watch old = watches.put(subject.id(), w);
    try {
      synchronized (this) {
        if (!scheduled) {
          thread.scheduleWithFixedDelay(this::pass, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
          scheduled = true;
        }
      }
      thread.execute(
          () -> {
            if (old != null) {
              old.release();
            }
            measure(w);
          });
    } catch (RejectedExecutionException e) {
      // closing: close() releases what is left
    }
  }

  /** The module's last measured usage, while it runs. */
  Optional<DataUsage> usage(String id) {
    Watch w = watches.get(id);
    return w == null ? Optional.empty() : Optional.of(w.usage);
  }

  private void pass() {
    for (Watch w : watches.values()) {
      measure(w);
    }
  }

  /** One measuring step of one module; never throws (a periodic task that throws stops). */
  private void measure(Watch w) {
    if (w.released) {
      return;
    }
    Subject s = w.subject;
    if (!s.live().getAsBoolean()) {
      end(w);
      return;
    }
    try {
      if (!DataFs.available()) {
        stop(w, "data directory cannot be measured: " + DataFs.unavailable());
        return;
      }
      if (w.dev < 0) {
        w.dev = DataFs.statNoFollow(s.dataDir().toString()).dev();
      }
      DeletedFiles.Count deleted =
          s.pid() > 0 ? DeletedFiles.count(s.pid(), w.dev, budget) : DeletedFiles.Count.NONE;
      DataWalk.Step step = w.walk.step(budget, deleted.bytes());
      if (step.problem() != null) {
        stop(w, step.problem().reason());
        return;
      }
      if (step.trouble() != null) {
        trouble(w, step.trouble());
      }
      if (step.bytes() + deleted.bytes() > w.limit.bytes()) {
        // a walk that counted nothing new this step still sees what deleted files hold
        stop(
            w,
            DataWalk.overBytes(step.bytes(), deleted.bytes(), w.limit.bytes(), step.complete())
                .reason());
        return;
      }
      DataUsage u = w.usage;
      if (step.complete()) {
        w.walks++;
        w.usage =
            new DataUsage(
                step.bytes(),
                step.entries(),
                deleted.bytes(),
                w.limit.bytes(),
                w.limit.entries(),
                w.walks);
      } else {
        boolean first = w.walks == 0;
        w.usage =
            new DataUsage(
                first ? step.bytes() : u.bytes(),
                first ? step.entries() : u.entries(),
                deleted.bytes(),
                w.limit.bytes(),
                w.limit.entries(),
                w.walks);
      }
    } catch (DataFs.FsException e) {
      trouble(w, e.getMessage());
    } catch (RuntimeException | LinkageError e) {
      LOG.log(System.Logger.Level.ERROR, "module " + s.id() + ": measuring its data failed", e);
    }
  }

  private void stop(Watch w, String why) {
    end(w);
    w.subject.stop().accept(why);
  }

  private void end(Watch w) {
    watches.remove(w.subject.id(), w);
    w.release();
  }

  /** The loader's own failure to measure: logged (at most once a minute), never the module's. */
  private void trouble(Watch w, String what) {
    long now = ticker.nanoTime();
    if (!w.troubleLogged || now - w.lastTroubleLog >= TROUBLE_LOG_NANOS) {
      w.troubleLogged = true;
      w.lastTroubleLog = now;
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: its data directory could not be measured this time: {1}",
          w.subject.id(),
          what);
    }
  }

  /** Stops measuring; releases every walk once the thread has ended (waits at most 5 s). */
  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.ERROR, "the data usage thread did not end within 5 s");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (Watch w : unreleased) {
      w.release();
    }
    watches.clear();
  }
}
