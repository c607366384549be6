package org.blvm.sandbox;

import java.util.List;

/**
 * What the sandbox preflight found: problems (each says what to install or enable; any problem
 * means no module may start sandboxed) and notices (degraded but sound, e.g. no cgroup v2).
 */
public record PreflightReport(List<String> problems, List<String> notices) {
  public PreflightReport {
    problems = List.copyOf(problems);
    notices = List.copyOf(notices);
  }

  public boolean ok() {
    return problems.isEmpty();
  }

  /** All problems numbered "[i of N]", one per line. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < problems.size(); i++) {
      b.append("[")
          .append(i + 1)
          .append(" of ")
          .append(problems.size())
          .append("] ")
          .append(problems.get(i))
          .append('\n');
    }
    return b.toString();
  }
}
