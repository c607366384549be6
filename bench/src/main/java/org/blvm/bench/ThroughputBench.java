package org.blvm.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blvm.loader.ModuleManager;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventType;

/**
 * (b) Event throughput in one condition (the caller sets the condition: {@link Conditions}). The
 * node publishes bursts of {@code n} events as fast as {@code ModuleManager.publish} goes to 1 and
 * then to 8 {@link EventSinkModule} processes, each of which checks every sequence number; every
 * burst is followed by a raw one-write-per-frame run ({@link RawThroughput}) of as many events and
 * connections, frames of the same size. Each figure is the median of {@link #ROUNDS} bursts against
 * the median of the raw runs interleaved with them. With 8 subscribers it also measures the
 * process's CPU time over the bursts against the raw runs' sending side.
 */
final class ThroughputBench {
  static final int SUBSCRIBERS = 8;

  /** Measured bursts per figure, each followed by one raw run. */
  static final int ROUNDS = 5;

  /** Unmeasured bursts of each type before the measured ones, per subscriber count. */
  private static final int WARMUP_BURSTS = Integer.getInteger("blvm.bench.warmupBursts", 2);

  private static final int REPORT_EVERY = 1000;

  /** One measured figure: events/s per subscriber against raw frames/s per connection. */
  record Figure(String type, int subscribers, double rate, double raw) {}

  /** Loader CPU per 1,000 events delivered (one event to one subscriber) against raw frames. */
  record Cpu(String type, int subscribers, double nanosPer1000, double rawNanosPer1000) {}

  private final Harness h;
  private final int n;
  private final Codec codec = Codec.withDefaults();
  private final Subscribers subs = new Subscribers(1_000_000);
  final List<Figure> figures = new ArrayList<>();
  final List<Cpu> cpu = new ArrayList<>();

  ThroughputBench(Harness h, int n) {
    if (n < REPORT_EVERY || n % REPORT_EVERY != 0) {
      throw new IllegalArgumentException(
          "events per burst must be a positive multiple of " + REPORT_EVERY + ": " + n);
    }
    this.h = h;
    this.n = n;
  }

  private int frameBytes(EventType type, Record payload) {
    return codec.eventFrame(codec.encodeShared(type.wireName(), null, (Object) payload), n).length;
  }

  void run() throws Exception {
    Path modules = h.work.resolve("modules-tp");
    Path more = h.work.resolve("modules-tp-later");
    List<Path> later = Subscribers.installSinks(h, modules, more, SUBSCRIBERS, REPORT_EVERY);
    Record[] blocks = EventBench.payloads(n, EventBench::block);
    Record[] txs = EventBench.payloads(n, EventBench::tx);
    int blockBytes = frameBytes(EventType.NewBlock, blocks[0]);
    int txBytes = frameBytes(EventType.MempoolTransactionAdded, txs[0]);
    // the queue holds a whole burst: the node publishes faster than one module reads, and the
    // default overflow rule (disconnect) would end the module
    int queueFrames = 2 * n;
    long queueBytes = Math.max(64L << 20, 2L * n * Math.max(blockBytes, txBytes));
    try (ModuleManager m =
        h.manager(modules, "tp", (s, t, p) -> {})
            .eventQueue(queueFrames, queueBytes)
            .moduleHeapMb(256)
            .build()) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      subs.add("sink1");
      System.out.printf(
          "(b) event throughput: bursts of %d events published by the node as fast as it can;"
              + " frames of %d bytes (NewBlock) and %d bytes (MempoolTransactionAdded)%n",
          n, blockBytes, txBytes);
      measure(m, blocks, txs, blockBytes, txBytes);
      for (Path dir : later) {
        String id = dir.getFileName().toString();
        m.startModule(dir);
        subs.add(id);
      }
      Subscribers.awaitStarted(m, subs.ids());
      measure(m, blocks, txs, blockBytes, txBytes);
    }
  }

  private void measure(ModuleManager m, Record[] blocks, Record[] txs, int blockBytes, int txBytes)
      throws Exception {
    for (int w = 0; w < WARMUP_BURSTS; w++) {
      subs.burst(m, EventType.NewBlock, blocks);
      subs.burst(m, EventType.MempoolTransactionAdded, txs);
    }
    figure(m, "NewBlock", EventType.NewBlock, blocks, blockBytes);
    figure(m, "MempoolTxAdded", EventType.MempoolTransactionAdded, txs, txBytes);
  }

  private void figure(
      ModuleManager m, String label, EventType type, Record[] payloads, int frameBytes)
      throws Exception {
    int subscribers = subs.ids().size();
    double[] rates = new double[ROUNDS];
    double[] raws = new double[ROUNDS];
    long cpuNanos = 0;
    long rawCpuNanos = 0;
    long minNanos = Long.MAX_VALUE;
    for (int r = 0; r < ROUNDS; r++) {
      long cpu0 = CpuTime.process();
      long nanos = subs.burst(m, type, payloads);
      cpuNanos += CpuTime.process() - cpu0;
      minNanos = Math.min(minNanos, nanos);
      rates[r] = n / (nanos / 1e9);
      RawThroughput.Run raw =
          RawThroughput.run(h.work.resolve("rawtp"), subscribers, n, frameBytes);
      raws[r] = raw.perConnectionRate();
      rawCpuNanos += raw.senderCpuNanos();
    }
    double rate = median(rates);
    double raw = median(raws);
    figures.add(new Figure(label, subscribers, rate, raw));
    double deliveries = (double) ROUNDS * n * subscribers;
    double perK = cpuNanos / deliveries * 1000;
    double rawPerK = rawCpuNanos / deliveries * 1000;
    cpu.add(new Cpu(label, subscribers, perK, rawPerK));
    System.out.printf(
        "    %-15s to %d subscriber(s): %9.0f events/s per subscriber (median of %d bursts,"
            + " shortest %.2f s; all %d seen by each, in order)   raw over %d socket(s): %9.0f"
            + " frames/s each (median of %d)   CPU per 1000 delivered: %.1f us, raw %.1f us%n",
        label,
        subscribers,
        rate,
        ROUNDS,
        minNanos / 1e9,
        n,
        subscribers,
        raw,
        ROUNDS,
        perK / 1000,
        rawPerK / 1000);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }
}
