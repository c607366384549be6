package org.blvm.bench;

import java.util.Collection;
import org.blvm.loader.PublishPathBench;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link PublishPathBench} with JMH's GC profiler (bench/run-jmh) and prints the bytes the
 * node side allocates per delivered event (one event queued for one subscriber), 1 and 8
 * subscribers, against the target of one small object: at most {@link #TARGET_BYTES} bytes. Exits
 * with status 1 when JMH produced no allocation figure.
 */
public final class PublishAlloc {
  static final double TARGET_BYTES = 32;

  private PublishAlloc() {}

  public static void main(String[] args) throws Exception {
    Collection<RunResult> runs =
        new Runner(
                new OptionsBuilder()
                    .include(PublishPathBench.class.getName())
                    .addProfiler(GCProfiler.class)
                    .build())
            .run();
    System.out.printf("%nAllocation on the node's publish path, per delivered event:%n");
    int rows = 0;
    for (RunResult run : runs) {
      String name = run.getParams().getBenchmark();
      @SuppressWarnings("rawtypes")
      Result norm = run.getSecondaryResults().get("gc.alloc.rate.norm");
      if (norm == null) {
        continue;
      }
      double bytes = norm.getScore();
      System.out.printf(
          "    %-20s %8.1f B per delivered event (+- %.1f)   target <= %.0f B: %s%n",
          name.substring(name.lastIndexOf('.') + 1),
          bytes,
          norm.getScoreError(),
          TARGET_BYTES,
          bytes <= TARGET_BYTES ? "PASS" : "MISS");
      rows++;
    }
    if (rows == 0) {
      System.out.println("FAILED: JMH reported no gc.alloc.rate.norm");
      System.exit(1);
    }
  }
}
