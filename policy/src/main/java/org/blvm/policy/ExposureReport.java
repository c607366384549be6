package org.blvm.policy;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A module's security exposure ({@link SecurityExposure#assess}): each item that applies, and the
 * score.
 *
 * @param module the module's name
 * @param findings the items that apply, in the table's order
 * @param scoreTenths the sum of their weights, at most 100 (10.0 points)
 * @param notScored what could not be judged here (offline: how the sandbox runs), or empty
 */
public record ExposureReport(
    String module, List<Finding> findings, int scoreTenths, List<String> notScored) {
  public ExposureReport {
    Objects.requireNonNull(module, "module");
    findings = List.copyOf(findings);
    notScored = List.copyOf(notScored);
  }

  /**
   * One item that applies.
   *
   * @param detail what in particular (a path, a value), or empty
   */
  public record Finding(ExposureItem item, String detail) {
    public Finding {
      Objects.requireNonNull(item, "item");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /** The score as printed: {@code "2.3"}. */
  public String score() {
    return SecurityExposure.points(scoreTenths);
  }

  /** LOW below 2, MEDIUM below 5, EXPOSED below 8, else UNSAFE. */
  public String rating() {
    return scoreTenths < 20
        ? "LOW"
        : scoreTenths < 50 ? "MEDIUM" : scoreTenths < 80 ? "EXPOSED" : "UNSAFE";
  }

  @Override
  public String toString() {
    return module + " " + score() + " " + rating().toLowerCase(Locale.ROOT);
  }
}
