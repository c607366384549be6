package org.blvm.bench;

import java.util.List;

/** One line of the summary: a measured figure, the baseline measured in the same run, a verdict. */
record Result(
    String id,
    String figure,
    String measured,
    String baseline,
    double ratio,
    String target,
    Boolean pass) {

  /** The measured value of a figure whose run failed. */
  static final String FAILED = "FAILED";

  /** Whether any figure's run failed. */
  static boolean anyFailed(List<Result> results) {
    return results.stream().anyMatch(r -> FAILED.equals(r.measured()));
  }

  static void printTable(List<Result> results) {
    String fmt = "%-2s %-66s %-12s %-24s %7s  %-19s %s%n";
    System.out.printf(fmt, "", "figure", "blvm", "baseline (same run)", "ratio", "target", "");
    for (Result r : results) {
      System.out.printf(
          fmt,
          r.id(),
          r.figure(),
          r.measured(),
          r.baseline(),
          Double.isNaN(r.ratio()) ? "-" : String.format("%.2fx", r.ratio()),
          r.target(),
          r.pass() == null ? "-" : r.pass() ? "PASS" : "MISS");
    }
  }
}
