package org.blvm.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs every benchmark once and prints a summary: each figure beside a baseline measured in the
 * same run, the ratio, and PASS/MISS against its target. Usage: {@code Bench [calls] [warmup]
 * [events] [idle-modules]} (defaults 10000, 40000, 200000, 32; the warm-up lets both JITs compile
 * the call path; {@code events} is the size of each throughput burst); {@code -Dblvm.bench.only=a}
 * (or any of {@code abcde}) runs only those parts; {@code -Dblvm.bench.conditions} picks the
 * throughput conditions ({@link Conditions}); {@code -Dblvm.bench.coldRuns=N} sets how many
 * launches of each kind (e) measures (default 5). Exits with status 1 when a figure's run failed (a
 * lost or reordered event among them).
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    int calls = arg(args, 0, 10_000);
    int warmup = arg(args, 1, 40_000);
    int events = arg(args, 2, 200_000);
    int idle = arg(args, 3, 32);
    long t0 = System.nanoTime();
    List<Result> results = new ArrayList<>();
    String only = System.getProperty("blvm.bench.only", "abcde");
    try (Harness h = new Harness()) {
      if (only.contains("a")) {
        results.addAll(RoundTripBench.run(h, calls, warmup));
      }
      if (only.contains("b")) {
        results.addAll(Conditions.run(h, events));
      }
      if (only.contains("c")) {
        results.addAll(EventBench.run(h));
      }
      if (only.contains("d")) {
        results.addAll(MemoryBench.run(h, idle));
      }
      if (only.contains("e")) {
        results.addAll(ColdStartBench.run(h, Integer.getInteger("blvm.bench.coldRuns", 5)));
      }
    }
    System.out.printf(
        "%nSummary (%d cores, %s %s, %.0f s):%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        (System.nanoTime() - t0) / 1e9);
    Result.printTable(results);
    if (Result.anyFailed(results)) {
      System.out.println("FAILED: a figure's run failed (see its output above)");
      System.exit(1);
    }
  }

  private static int arg(String[] args, int i, int dflt) {
    return args.length > i ? Integer.parseInt(args[i]) : dflt;
  }
}
