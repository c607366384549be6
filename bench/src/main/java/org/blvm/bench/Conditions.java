package org.blvm.bench;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the throughput figures ({@link ThroughputBench}) once per condition, each in a JVM of its
 * own ({@link ThroughputMain}) whose module processes and raw baseline are its children, and prints
 * the conditions side by side. The conditions: the default; the whole process tree pinned to CPU 0
 * ({@code taskset -c 0}: the modules and the raw baseline's threads inherit the affinity); beside a
 * CPU hog ({@code stress-ng --cpu 1}, started before the run and stopped after it). A condition
 * whose tool is missing is not run, and the output says so. {@code -Dblvm.bench.conditions} picks
 * some of {@code default,pinned,hog}.
 */
final class Conditions {
  /** Longest a condition may run before it is ended and counted as failed. */
  private static final long RUN_LIMIT_MINUTES = 60;

  private record Condition(String name, String title, String tool) {}

  private static final List<Condition> ALL =
      List.of(
          new Condition("default", "default", null),
          new Condition("pinned", "pinned (taskset -c 0)", "taskset"),
          new Condition("hog", "beside stress-ng --cpu 1", "stress-ng"));

  /** The figures of one condition, keyed "rate TYPE N" and "cpu TYPE N"; empty when not run. */
  private record Outcome(Map<String, double[]> figures, String failure) {}

  private Conditions() {}

  static List<Result> run(Harness h, int events) throws Exception {
    String wanted = System.getProperty("blvm.bench.conditions", "default,pinned,hog");
    Map<Condition, Outcome> outcomes = new LinkedHashMap<>();
    for (Condition c : ALL) {
      if (!List.of(wanted.split(",")).contains(c.name())) {
        continue;
      }
      System.out.printf("(b) condition: %s%n", c.title());
      Optional<Path> tool = c.tool() == null ? Optional.empty() : onPath(c.tool());
      if (c.tool() != null && tool.isEmpty()) {
        String why = c.tool() + " is not installed (not found on PATH): condition not run";
        System.out.println("    " + why);
        outcomes.put(c, new Outcome(Map.of(), why));
        continue;
      }
      outcomes.put(c, runOne(h, events, c, tool.orElse(null)));
    }
    return table(outcomes);
  }

  private static Outcome runOne(Harness h, int events, Condition c, Path tool) throws Exception {
    Path out = h.work.resolve("throughput-" + c.name() + ".tsv");
    List<String> cmd = new ArrayList<>();
    if (c.name().equals("pinned")) {
      cmd.addAll(List.of(tool.toString(), "-c", "0"));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("blvm.bench.")) {
        cmd.add("-D" + key + "=" + System.getProperty(key));
      }
    }
    cmd.addAll(
        List.of(
            "-cp",
            h.jar.toString(),
            ThroughputMain.class.getName(),
            Integer.toString(events),
            out.toString()));
    Process hog = null;
    if (c.name().equals("hog")) {
      // bounded by its own timeout too, should this JVM end before it stops the hog
      hog =
          new ProcessBuilder(tool.toString(), "--cpu", "1", "--timeout", "3600s", "--quiet")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    }
    try {
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      if (!p.waitFor(RUN_LIMIT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return failed("did not finish within " + RUN_LIMIT_MINUTES + " min");
      }
      if (p.exitValue() != 0) {
        return failed("the run failed (exit status " + p.exitValue() + "): see its output above");
      }
      if (hog != null && !hog.isAlive()) {
        return failed("stress-ng ended before the run did (exit status " + hog.exitValue() + ")");
      }
    } finally {
      if (hog != null) {
        hog.destroy();
        if (!hog.waitFor(10, TimeUnit.SECONDS)) {
          hog.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
    Map<String, double[]> figures = new LinkedHashMap<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      figures.put(
          f[0] + " " + f[1] + " " + f[2],
          new double[] {Double.parseDouble(f[3]), Double.parseDouble(f[4])});
    }
    return new Outcome(figures, null);
  }

  private static Outcome failed(String why) {
    System.out.println("    FAILED: " + why);
    return new Outcome(Map.of(), why);
  }

  private static Optional<Path> onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static final List<String> TYPES = List.of("NewBlock", "MempoolTxAdded");

  /** Prints the conditions side by side and returns the summary's rows. */
  private static List<Result> table(Map<Condition, Outcome> outcomes) {
    List<Result> results = new ArrayList<>();
    StringBuilder head = new StringBuilder(String.format("    %-36s", ""));
    for (Condition c : outcomes.keySet()) {
      head.append(String.format("%-30s", c.title()));
    }
    System.out.printf(
        "(b) events/s per subscriber / raw frames/s per connection (same run, same condition,"
            + " same connection count; target >= 1x):%n%s%n",
        head);
    for (int subscribers : new int[] {1, ThroughputBench.SUBSCRIBERS}) {
      for (String type : TYPES) {
        StringBuilder row =
            new StringBuilder(String.format("    %-36s", type + ", " + plural(subscribers)));
        for (Map.Entry<Condition, Outcome> e : outcomes.entrySet()) {
          double[] v = e.getValue().figures().get("rate " + type + " " + subscribers);
          Condition c = e.getKey();
          String figure = type + " events/s per subscriber, " + plural(subscribers);
          if (v == null) {
            row.append(String.format("%-30s", e.getValue().failure() == null ? "-" : "not run"));
            results.add(notRun("b", figure, c, e.getValue().failure()));
            continue;
          }
          boolean pass = v[0] >= v[1];
          row.append(String.format("%-30s", String.format("%.2fx %s", v[0] / v[1], verdict(pass))));
          results.add(
              new Result(
                  "b",
                  figure + ", " + c.name(),
                  String.format("%.0f/s", v[0]),
                  String.format("raw %.0f/s", v[1]),
                  v[0] / v[1],
                  ">= 1x raw, in order",
                  pass));
        }
        System.out.println(row);
      }
    }
    System.out.printf(
        "(b) loader CPU time per 1000 events delivered (one event to one subscriber) / raw"
            + " sending side per 1000 frames:%n%s%n",
        head);
    for (String type : TYPES) {
      int subscribers = ThroughputBench.SUBSCRIBERS;
      StringBuilder row =
          new StringBuilder(String.format("    %-36s", type + ", " + plural(subscribers)));
      for (Map.Entry<Condition, Outcome> e : outcomes.entrySet()) {
        double[] v = e.getValue().figures().get("cpu " + type + " " + subscribers);
        String figure = "loader CPU/1000 delivered, " + type + ", " + plural(subscribers);
        if (v == null) {
          row.append(String.format("%-30s", e.getValue().failure() == null ? "-" : "not run"));
          results.add(notRun("b", figure, e.getKey(), e.getValue().failure()));
          continue;
        }
        row.append(
            String.format(
                "%-30s",
                String.format("%.1f us / %.1f us = %.2fx", v[0] / 1000, v[1] / 1000, v[0] / v[1])));
        results.add(
            new Result(
                "b",
                figure + ", " + e.getKey().name(),
                String.format("%.1f us", v[0] / 1000),
                String.format("raw %.1f us", v[1] / 1000),
                v[0] / v[1],
                "reported",
                null));
      }
      System.out.println(row);
    }
    return results;
  }

  private static Result notRun(String id, String figure, Condition c, String why) {
    boolean failed = why != null && !why.contains("not installed");
    return new Result(
        id,
        figure + ", " + c.name(),
        failed ? Result.FAILED : "not run",
        "-",
        Double.NaN,
        failed ? "completes" : "-",
        failed ? Boolean.FALSE : null);
  }

  private static String verdict(boolean pass) {
    return pass ? "PASS" : "MISS";
  }

  private static String plural(int subscribers) {
    return subscribers + (subscribers == 1 ? " subscriber" : " subscribers");
  }
}
