package org.blvm.bench;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process {@link Conditions} starts for each condition of the throughput figures: runs {@link
 * ThroughputBench} and writes its figures to a file, one per line, tab-separated: {@code rate TYPE
 * SUBSCRIBERS EVENTS_PER_S RAW_FRAMES_PER_S} and {@code cpu TYPE SUBSCRIBERS NANOS_PER_1000
 * RAW_NANOS_PER_1000}. Usage: {@code ThroughputMain events out-file}. Exits non-zero when the run
 * fails (a lost or reordered event among them).
 */
public final class ThroughputMain {
  private ThroughputMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: ThroughputMain events out-file");
    }
    int events = Integer.parseInt(args[0]);
    Path out = Path.of(args[1]);
    ThroughputBench b;
    try (Harness h = new Harness()) {
      b = new ThroughputBench(h, events);
      b.run();
    }
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
      for (ThroughputBench.Figure f : b.figures) {
        line(w, "rate", f.type(), f.subscribers(), f.rate(), f.raw());
      }
      for (ThroughputBench.Cpu c : b.cpu) {
        line(w, "cpu", c.type(), c.subscribers(), c.nanosPer1000(), c.rawNanosPer1000());
      }
    }
  }

  private static void line(
      PrintWriter w, String kind, String type, int subscribers, double value, double raw) {
    w.println(
        String.join(
            "\t",
            kind,
            type,
            Integer.toString(subscribers),
            Double.toString(value),
            Double.toString(raw)));
  }
}
