package org.blvm.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.loader.ReportedMetric;
import org.blvm.protocol.EventType;

/**
 * The {@link EventSinkModule}s of an event benchmark and how many events each must have received so
 * far. A run fails (an exception naming the module) as soon as one reports a lost or reordered
 * event, reports more than it was sent, ends, or makes no progress for {@link #STALL}.
 */
final class Subscribers {
  /** How long a subscriber may go without reporting progress before the run fails. */
  static final Duration STALL = Duration.ofSeconds(60);

  private final Map<String, Long> expected = new LinkedHashMap<>();
  private final long pollNanos;

  /**
   * @param pollNanos how often the modules' metrics are read while waiting
   */
  Subscribers(long pollNanos) {
    this.pollNanos = pollNanos;
  }

  /** A subscriber that has received nothing yet. */
  void add(String id) {
    expected.put(id, 0L);
  }

  void remove(String id) {
    expected.remove(id);
  }

  Set<String> ids() {
    return expected.keySet();
  }

  /** Every current subscriber is to receive {@code n} more events. */
  void expectMore(long n) {
    expected.replaceAll((id, v) -> v + n);
  }

  /**
   * Publishes {@code payloads} as fast as the node can and waits until every subscriber has
   * reported all of them, in order; returns the nanoseconds from the first publish to the last
   * report.
   */
  long burst(ModuleManager m, EventType type, Record[] payloads) throws Exception {
    expectMore(payloads.length);
    int subscribers = expected.size();
    long t0 = System.nanoTime();
    for (Record p : payloads) {
      int queued = m.publish(type, p);
      if (queued != subscribers) {
        throw new IllegalStateException("event queued for " + queued + " of " + subscribers);
      }
    }
    awaitDelivered(m);
    return System.nanoTime() - t0;
  }

  /** Polls the modules' metrics until each has reported every expected event, in order. */
  void awaitDelivered(ModuleManager m) throws Exception {
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      String id = e.getKey();
      double last = -1;
      long lastProgress = System.nanoTime();
      while (true) {
        Map<String, Double> metrics = new HashMap<>();
        for (ReportedMetric r : m.reportedMetrics(id)) {
          metrics.put(r.name(), r.value());
        }
        double got = metrics.getOrDefault("received", 0.0);
        if (metrics.getOrDefault("gaps", 0.0) > 0) {
          throw new IllegalStateException(
              String.format(
                  "%s: event order broken: %.0f lost, %.0f repeated or out of order (its output"
                      + " log has the first)",
                  id, metrics.getOrDefault("lost", 0.0), metrics.getOrDefault("reordered", 0.0)));
        }
        if (got >= e.getValue()) {
          if (got > e.getValue()) {
            throw new IllegalStateException(
                id + " received " + (long) got + " events, expected " + e.getValue());
          }
          break;
        }
        ModuleStatus s = m.status(id).orElseThrow();
        if (!s.state().isLive()) {
          throw new IllegalStateException(id + " is " + s.state() + ": " + s.detail());
        }
        long now = System.nanoTime();
        if (got != last) {
          last = got;
          lastProgress = now;
        } else if (now - lastProgress > STALL.toNanos()) {
          throw new TimeoutException(
              id
                  + " reported "
                  + (long) got
                  + " of "
                  + e.getValue()
                  + " events and nothing more for "
                  + STALL.toSeconds()
                  + " s: events lost");
        }
        LockSupport.parkNanos(pollNanos);
      }
    }
  }

  /** The capabilities of the event benchmarks' modules. */
  static final List<String> CAPS =
      List.of("read_blockchain", "read_mempool", "subscribe_events", "report_metrics");

  /**
   * Installs {@code count} signed {@link EventSinkModule}s reporting every {@code reportEvery}
   * events: {@code sink1} in {@code first} (started with the manager), the others in {@code later}
   * (started one by one); returns the directories of the later ones.
   */
  static List<Path> installSinks(Harness h, Path first, Path later, int count, int reportEvery)
      throws Exception {
    Map<String, Object> cfg = Map.of("report_every", reportEvery);
    h.installJava(first, "sink1", EventSinkModule.class.getName(), CAPS, cfg);
    List<Path> dirs = new ArrayList<>();
    for (int i = 2; i <= count; i++) {
      dirs.add(h.installJava(later, "sink" + i, EventSinkModule.class.getName(), CAPS, cfg));
    }
    return dirs;
  }

  static void awaitStarted(ModuleManager m, Iterable<String> ids) throws Exception {
    for (String id : ids) {
      if (!m.awaitState(id, ModuleState.STARTED, Duration.ofSeconds(300))) {
        throw new TimeoutException(id + " did not start: " + m.status(id));
      }
    }
  }
}
