package org.blvm.loader;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One series a module reported with {@code report_metric}: the last value for a name and a set of
 * labels.
 *
 * @param name the metric name the module gave (without the exporter's prefix)
 * @param labels the module's labels, sorted by key (never the loader's own {@code module} label)
 * @param value the last value reported
 */
public record ReportedMetric(String name, SortedMap<String, String> labels, double value) {
  public ReportedMetric {
    Objects.requireNonNull(name, "name");
    labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
  }
}
