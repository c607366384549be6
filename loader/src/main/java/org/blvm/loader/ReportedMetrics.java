package org.blvm.loader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;

/**
 * The metrics one module launch reported with {@code report_metric}: the last value of each series
 * (a name and a set of labels), bounded so that a module cannot grow the node's memory or an
 * exporter's output without limit. Names and label keys follow the Prometheus data model, so every
 * series can be exported as it was reported. Only the module's reader thread reports; a scrape
 * ({@link #snapshot}) reads the concurrent map without a lock and never delays a report.
 */
final class ReportedMetrics {
  /** Distinct metric names per module. */
  static final int MAX_NAMES = 100;

  /** Labels on one report. */
  static final int MAX_LABELS = 8;

  /** Distinct series (name and label values) per module, over all names. */
  static final int MAX_SERIES = 1000;

  /** Characters of a metric name or a label key. */
  static final int MAX_NAME_CHARS = 64;

  /** Characters (Unicode code points) of a label value. */
  static final int MAX_VALUE_CHARS = 128;

  /** Prometheus metric names. */
  static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  /** Prometheus label names. */
  static final Pattern LABEL_KEY = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** The label the exporter adds to every series; a module may not set it. */
  static final String MODULE_LABEL = "module";

  private record Key(String name, SortedMap<String, String> labels) {}

  private final Map<Key, Double> series = new ConcurrentHashMap<>();
  private final Map<String, Integer> seriesPerName = new ConcurrentHashMap<>();

  /**
   * Records {@code value} for the series; returns null when recorded, else the error to answer:
   * {@code INVALID_PARAMS} for a name, label key or value that breaks a rule, {@code RATE_LIMITED}
   * for a new name or series beyond the module's quota. Each message names the bound.
   */
  ErrorValue report(String name, Map<String, String> labels, double value) {
    ErrorValue bad = check(name, labels);
    if (bad != null) {
      return bad;
    }
    Key key = new Key(name, new TreeMap<>(labels));
    if (series.replace(key, value) != null) {
      return null;
    }
    synchronized (this) { // a new series: the quotas are checked and updated together
      if (series.containsKey(key)) {
        series.put(key, value);
        return null;
      }
      if (!seriesPerName.containsKey(name) && seriesPerName.size() >= MAX_NAMES) {
        return ErrorValue.of(
            ErrorCode.RATE_LIMITED,
            "metric \""
                + name
                + "\" refused: at most "
                + MAX_NAMES
                + " distinct metric names per module");
      }
      if (series.size() >= MAX_SERIES) {
        return ErrorValue.of(
            ErrorCode.RATE_LIMITED,
            "metric \""
                + name
                + "\" refused: at most "
                + MAX_SERIES
                + " series (name and label values) per module");
      }
      seriesPerName.merge(name, 1, Integer::sum);
      series.put(key, value);
    }
    return null;
  }

  private static ErrorValue check(String name, Map<String, String> labels) {
    if (name.length() > MAX_NAME_CHARS) {
      return invalid(
          "metric name of "
              + name.length()
              + " characters: at most "
              + MAX_NAME_CHARS
              + " are allowed");
    }
    if (!NAME.matcher(name).matches()) {
      return invalid(
          "metric name \"" + name + "\" must match [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus names)");
    }
    if (labels.size() > MAX_LABELS) {
      return invalid(
          "metric \""
              + name
              + "\" has "
              + labels.size()
              + " labels: at most "
              + MAX_LABELS
              + " are allowed");
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String k = e.getKey();
      if (k.length() > MAX_NAME_CHARS) {
        return invalid(
            "label key of "
                + k.length()
                + " characters on metric \""
                + name
                + "\": at most "
                + MAX_NAME_CHARS
                + " are allowed");
      }
      if (!LABEL_KEY.matcher(k).matches() || k.startsWith("__")) {
        return invalid(
            "label key \""
                + k
                + "\" on metric \""
                + name
                + "\" must match [a-zA-Z_][a-zA-Z0-9_]* and not begin with __ (Prometheus"
                + " label names)");
      }
      if (k.equals(MODULE_LABEL)) {
        return invalid(
            "label key \"module\" on metric \""
                + name
                + "\" is the loader's: it is set to the module's id on export");
      }
      String v = e.getValue();
      if (v == null) {
        return invalid("label \"" + k + "\" on metric \"" + name + "\" has a null value");
      }
      int chars = v.codePointCount(0, v.length());
      if (chars > MAX_VALUE_CHARS) {
        return invalid(
            "value of label \""
                + k
                + "\" on metric \""
                + name
                + "\" has "
                + chars
                + " characters: at most "
                + MAX_VALUE_CHARS
                + " are allowed");
      }
    }
    return null;
  }

  private static ErrorValue invalid(String message) {
    return ErrorValue.of(ErrorCode.INVALID_PARAMS, message);
  }

  /** Every series, sorted by name, then by labels (fewer first). */
  List<ReportedMetric> snapshot() {
    List<ReportedMetric> out = new ArrayList<>(series.size());
    series.forEach((k, v) -> out.add(new ReportedMetric(k.name(), k.labels(), v)));
    out.sort(
        Comparator.comparing(ReportedMetric::name)
            .thenComparingInt(r -> r.labels().size())
            .thenComparing(r -> r.labels().toString()));
    return out;
  }
}
