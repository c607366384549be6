package org.blvm.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Prints part (e)'s launch breakdown and archive use ({@link ColdStartBench}). */
final class ColdStartReport {
  /** The launch line's field saying whether the JVM mapped the archive it was given. */
  static final String MAPPED = "archive-mapped";

  private ColdStartReport() {}

  static void printBreakdown(
      String[] kinds,
      Map<String, List<Long>> totals,
      Map<String, List<Map<String, Double>>> steps) {
    Set<String> names = new LinkedHashSet<>();
    for (String k : kinds) {
      for (Map<String, Double> s : steps.get(k)) {
        names.addAll(s.keySet());
      }
    }
    names.remove("processes");
    names.remove(MAPPED);
    String fmt = "%-40s" + " %18s".repeat(kinds.length) + "%n";
    System.out.printf(
        "%n(e) Launch breakdown: ms since the launch began at the end of each step, median%n");
    System.out.printf(fmt, (Object[]) row("step", kinds));
    for (String name : names) {
      String[] cells = new String[kinds.length];
      for (int i = 0; i < kinds.length; i++) {
        List<Double> v = new ArrayList<>();
        for (Map<String, Double> s : steps.get(kinds[i])) {
          if (s.containsKey(name)) {
            v.add(s.get(name));
          }
        }
        cells[i] = v.isEmpty() ? "-" : String.format("%.2f", medianD(v));
      }
      System.out.printf(fmt, (Object[]) row(name, cells));
    }
    String[] procs = new String[kinds.length];
    String[] total = new String[kinds.length];
    String[] before = new String[kinds.length];
    String[] mapped = new String[kinds.length];
    for (int i = 0; i < kinds.length; i++) {
      List<Double> v = new ArrayList<>();
      for (Map<String, Double> s : steps.get(kinds[i])) {
        v.add(s.getOrDefault("processes", 0.0));
      }
      procs[i] = v.isEmpty() ? "-" : String.format("%.0f", medianD(v));
      long yes = steps.get(kinds[i]).stream().filter(s -> s.get(MAPPED) != null).count();
      long mappedYes =
          steps.get(kinds[i]).stream()
              .filter(s -> Double.valueOf(1.0).equals(s.get(MAPPED)))
              .count();
      mapped[i] =
          yes == 0 ? "no archive" : mappedYes == yes ? "yes" : "no (" + (yes - mappedYes) + ")";
      total[i] = totals.get(kinds[i]).isEmpty() ? "-" : Long.toString(median(totals.get(kinds[i])));
      List<Double> welcome = new ArrayList<>();
      for (Map<String, Double> s : steps.get(kinds[i])) {
        welcome.add(s.getOrDefault("welcome", 0.0));
      }
      before[i] =
          welcome.isEmpty() || total[i].equals("-")
              ? "-"
              : String.format("%.0f", median(totals.get(kinds[i])) - medianD(welcome));
    }
    System.out.printf(fmt, (Object[]) row("processes spawned per launch", procs));
    System.out.printf(fmt, (Object[]) row("archive mapped", mapped));
    System.out.printf(fmt, (Object[]) row("launch -> welcome seen by the bench", total));
    System.out.printf(fmt, (Object[]) row("  of it before the steps (admission)", before));
  }

  /**
   * Prints, for each sandboxed JVM launch, whether the loader gave it an archive and whether its
   * JVM mapped it; the number of launches given an archive it did not map.
   */
  static int printArchiveUse(List<String> kinds, Map<String, List<Map<String, Double>>> steps) {
    int notMapped = 0;
    for (String kind : kinds) {
      List<String> cells = new ArrayList<>();
      for (Map<String, Double> s : steps.get(kind)) {
        Double m = s.get(MAPPED);
        cells.add(m == null ? "no archive" : m == 1.0 ? "mapped" : "NOT MAPPED");
        notMapped += m != null && m != 1.0 ? 1 : 0;
      }
      System.out.printf("(e) %s, archive per launch: %s%n", kind, String.join(", ", cells));
    }
    return notMapped;
  }

  static String[] row(String name, String[] cells) {
    String[] r = new String[cells.length + 1];
    r[0] = name;
    System.arraycopy(cells, 0, r, 1, cells.length);
    return r;
  }

  static long median(List<Long> v) {
    List<Long> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  static double medianD(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
