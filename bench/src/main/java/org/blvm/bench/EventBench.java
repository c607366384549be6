package org.blvm.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * (c) Time spent inside {@code publish} with 8 subscribers, one of which never reads, next to the
 * same with 8 healthy subscribers. Also the event payloads of the throughput figures ({@link
 * ThroughputBench}).
 */
final class EventBench {
  private static final int QUEUE_FRAMES = 8192;
  private static final int REPORT_EVERY = 1000;
  private static final int SUBSCRIBERS = 8;
  private static final int PACE_PER_MS = 2;

  /** Events per warm-up burst; the paced run publishes twice as many. */
  private static final int WARMUP_EVENTS = 5_000;

  /**
   * Unmeasured bursts before the 8-subscriber figures. Seven module JVMs start at once and each
   * compiles the same code: on 2 cores their compiler threads took 40-55% of the CPU for the first
   * 10 s of bursts and were still busy after 20 (perf, -XX:+PrintCompilation), so fewer bursts
   * measured the JITs rather than the event path. {@code -Dblvm.bench.warmupBursts=N} overrides it.
   */
  private static final int WARMUP_BURSTS_8 = Integer.getInteger("blvm.bench.warmupBursts", 80);

  private final Harness h;
  private final int n;
  private final int latencyEvents;
  private final Subscribers subs = new Subscribers(200_000);
  private final List<Result> results = new ArrayList<>();

  private EventBench(Harness h, int n) {
    this.h = h;
    this.n = n;
    this.latencyEvents = 2 * n;
  }

  /** Part (c); its warm-up bursts and its paced run use {@link #WARMUP_EVENTS}. */
  static List<Result> run(Harness h) throws Exception {
    return new EventBench(h, WARMUP_EVENTS).run();
  }

  /** A NewBlock as a node would publish it: real-sized hashes, a current height. */
  static EventPayloads.NewBlock block(int i) {
    return new EventPayloads.NewBlock(
        hex64(i), 870_000L + i, hex64(i - 1), 1_732_000_000L + 600L * i, 3_000 + (i % 1000));
  }

  /** A MempoolTransactionAdded with a real-sized txid and typical size and fee. */
  static EventPayloads.MempoolTransactionAdded tx(int i) {
    return new EventPayloads.MempoolTransactionAdded(
        hex64(0x7000_0000 + i), 225 + (i % 400), 2_250L + i % 5000, 10.0 + (i % 100) / 10.0);
  }

  /** Payloads built before a burst: the node has them in hand when it publishes. */
  static Record[] payloads(int n, IntFunction<Record> payload) {
    Record[] ps = new Record[n];
    for (int i = 0; i < n; i++) {
      ps[i] = payload.apply(i);
    }
    return ps;
  }

  private static String hex64(int i) {
    return String.format(Locale.ROOT, "%064x", (long) i * 0x9E3779B97F4A7C15L & Long.MAX_VALUE);
  }

  private List<Result> run() throws Exception {
    Path modules = h.work.resolve("modules-ev");
    Path more = h.work.resolve("modules-ev-later");
    List<Path> later = Subscribers.installSinks(h, modules, more, SUBSCRIBERS, REPORT_EVERY);
    Path stalled = h.installRaw(more, "stalled", "stall", Subscribers.CAPS);

    try (ModuleManager m =
        h.manager(modules, "ev", (s, t, p) -> {}).eventQueue(QUEUE_FRAMES, 256L << 20).build()) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      subs.add("sink1");

      for (Path dir : later) {
        String id = dir.getFileName().toString();
        m.startModule(dir);
        subs.add(id);
      }
      Subscribers.awaitStarted(m, subs.ids());
      Record[] blocks = payloads(n, EventBench::block);
      Record[] txs = payloads(n, EventBench::tx);
      for (int w = 0; w < WARMUP_BURSTS_8; w++) {
        subs.burst(m, EventType.NewBlock, blocks);
        subs.burst(m, EventType.MempoolTransactionAdded, txs);
      }

      System.out.printf(
          "(c) time inside ModuleManager.publish (NewBlock), %d events paced at about %d/s, %d"
              + " subscribers:%n",
          latencyEvents, PACE_PER_MS * 1000, SUBSCRIBERS);
      Stats healthy = pacedPublish(m);
      System.out.printf(
          "    8 healthy subscribers             : p50 %6.1f us   p99 %6.1f us   max %8.1f us%n",
          healthy.percentileMicros(50), healthy.percentileMicros(99), healthy.maxMicros());

      m.stopModule("sink8");
      subs.remove("sink8");
      m.startModule(stalled);
      Subscribers.awaitStarted(m, List.of("stalled"));
      Stats withStall = pacedPublish(m);
      ModuleStatus st = m.status("stalled").orElseThrow();
      System.out.printf(
          "    7 healthy + 1 stalled subscriber  : p50 %6.1f us   p99 %6.1f us   max %8.1f us%n",
          withStall.percentileMicros(50), withStall.percentileMicros(99), withStall.maxMicros());
      System.out.printf(
          "    the stalled module (queue %d frames, policy event_overflow = \"drop_oldest\"):"
              + " %s, %,d events dropped from its queue, %d disconnects%n",
          QUEUE_FRAMES, st.state(), m.droppedEvents("stalled"), m.queueOverflows("stalled"));
      Path log = h.work.resolve("ev").resolve("stalled.out.log");
      if (java.nio.file.Files.exists(log)) {
        List<String> lines = java.nio.file.Files.readAllLines(log);
        if (!lines.isEmpty()) {
          System.out.println("    stalled module's last output: " + lines.get(lines.size() - 1));
        }
      }
      double p99 = withStall.percentileMicros(99);
      results.add(
          new Result(
              "c",
              "time in publish p99, 8 subscribers, 1 stalled (drop_oldest)",
              RoundTripBench.us(p99),
              "none stalled " + RoundTripBench.us(healthy.percentileMicros(99)),
              p99 / healthy.percentileMicros(99),
              "<= 50 us",
              p99 <= 50.0));
    }
    return results;
  }

  /** Publishes latencyEvents NewBlocks in bursts of PACE_PER_MS per millisecond; times each. */
  private Stats pacedPublish(ModuleManager m) throws Exception {
    Record[] ps = new Record[latencyEvents];
    for (int i = 0; i < latencyEvents; i++) {
      ps[i] = block(i);
    }
    long[] samples = new long[latencyEvents];
    long start = System.nanoTime();
    for (int i = 0; i < latencyEvents; i++) {
      long t0 = System.nanoTime();
      m.publish(EventType.NewBlock, ps[i]);
      samples[i] = System.nanoTime() - t0;
      if (i % PACE_PER_MS == PACE_PER_MS - 1) {
        long due = start + (i / PACE_PER_MS + 1) * 1_000_000L;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }
    subs.expectMore(latencyEvents);
    subs.awaitDelivered(m);
    return new Stats(samples);
  }
}
