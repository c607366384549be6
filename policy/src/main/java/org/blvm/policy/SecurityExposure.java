package org.blvm.policy;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntPredicate;

/**
 * The security exposure of a module, modelled on {@code systemd-analyze security}: which of the
 * {@link ExposureItem}s apply to it and the sum of their weights, at most 10 (lower is better).
 * Pure: the same facts always give the same report. Used by {@code blvm-loader policy check
 * --modules} (offline) and by the running node's {@code security} admin command; the weights and
 * what each item means are in docs/security-score.md.
 */
public final class SecurityExposure {
  /** The most a score can be, in tenths. */
  public static final int MAX_TENTHS = 100;

  private SecurityExposure() {}

  /** The report for {@code f}. */
  public static ExposureReport assess(ExposureFacts f) {
    List<ExposureReport.Finding> out = new ArrayList<>();
    List<String> notScored = new ArrayList<>();
    for (ExposureItem item : ExposureItem.values()) {
      String detail = detail(item, f);
      if (detail != null) {
        out.add(new ExposureReport.Finding(item, detail));
      }
    }
    if (f.isolation() == ExposureFacts.Isolation.UNKNOWN) {
      notScored.add("how its sandbox runs (host uid, unsandboxed): known to the running node");
    }
    if (f.profile().isEmpty() && f.isolation() != ExposureFacts.Isolation.UNSANDBOXED) {
      notScored.add("its seccomp profile: the loader's default, known to the running node");
    }
    int sum = 0;
    for (ExposureReport.Finding x : out) {
      sum += x.item().weightTenths();
    }
    return new ExposureReport(f.module(), out, Math.min(MAX_TENTHS, sum), notScored);
  }

  /** Whether {@code item} applies: null when not, else its detail ("" when none). */
  private static String detail(ExposureItem item, ExposureFacts f) {
    if (item.capability().isPresent()) {
      return f.granted().contains(item.capability().get()) ? "" : null;
    }
    LimitSettings l = f.limits();
    switch (item) {
      case CONFIG_SECRETS:
        return when(f.configSecrets());
      case CALLABLE_ANY:
        return when(f.callableAny());
      case RATE_UNLIMITED:
        return when(f.rateUnlimited());
      case HOST_NETWORK:
        return when(f.hostNetwork());
      case LIMITS_UNSET:
        return when(l.writtenKeys().isEmpty());
      case CPU_UNLIMITED:
        return over(l.cpuSeconds(), v -> v == 0);
      case MEMORY_GENEROUS:
        return over(l.memoryMb(), v -> v > 4096);
      case PROCESSES_GENEROUS:
        return over(l.processes(), v -> v > 512);
      case OPEN_FILES_GENEROUS:
        return over(l.openFiles(), v -> v > 16384);
      case DISK_GENEROUS:
        return over(l.diskMb(), v -> v > 65536);
      case UNSIGNED:
        return when(f.unsigned());
      case ALLOW_UNSIGNED:
        return when(f.allowUnsigned());
      case SINGLE_KEY:
        return when(f.threshold() == 1 && !f.unsigned());
      case UNSANDBOXED:
        return when(f.isolation() == ExposureFacts.Isolation.UNSANDBOXED);
      case NODE_UID:
        return when(f.isolation() == ExposureFacts.Isolation.SANDBOX_NODE_UID);
      case SHARED_UID:
        return when(f.isolation() == ExposureFacts.Isolation.SANDBOX_SHARED_UID);
      case DENY_LIST_PROFILE:
        return f.isolation() != ExposureFacts.Isolation.UNSANDBOXED
                && f.profile().isPresent()
                && !f.profile().get().equals("strict")
            ? "profile \"" + f.profile().get() + "\""
            : null;
      case WRITABLE_PATHS:
        return f.writablePaths().isEmpty() ? null : String.join(", ", f.writablePaths());
      default:
        throw new IllegalStateException("exposure item without a rule: " + item);
    }
  }

  private static String when(boolean applies) {
    return applies ? "" : null;
  }

  private static String over(OptionalInt value, IntPredicate generous) {
    return value.isPresent() && generous.test(value.getAsInt())
        ? Integer.toString(value.getAsInt())
        : null;
  }

  /** Tenths as points with one decimal: 23 → "2.3". */
  public static String points(int tenths) {
    return tenths / 10 + "." + tenths % 10;
  }

  /**
   * Prints the report as a table, one item a line: weight, item, what it allows, the fix; then the
   * score. The form {@code blvm-loader policy check --modules} and {@code blvm-loader security}
   * share.
   */
  public static void print(PrintWriter out, ExposureReport r, String indent) {
    out.println(indent + "exposure of " + r.module() + ":");
    for (ExposureReport.Finding x : r.findings()) {
      ExposureItem i = x.item();
      out.println(
          indent
              + "  +"
              + points(i.weightTenths())
              + "  "
              + i.id()
              + ": "
              + i.allows()
              + (x.detail().isEmpty() ? "" : " (" + x.detail() + ")"));
      out.println(indent + "        fix: " + i.fix().replace("<name>", r.module()));
    }
    for (String n : r.notScored()) {
      out.println(indent + "  not scored: " + n);
    }
    out.println(
        indent + "  overall exposure " + r.score() + " of 10 " + r.rating() + " (lower is better)");
  }
}
