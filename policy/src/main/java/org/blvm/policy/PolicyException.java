package org.blvm.policy;

import java.util.List;

/**
 * A policy file that cannot be used. Every problem found is reported at once, each naming the key
 * and, where it can be located, its line.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  /** One problem: the dotted key (e.g. {@code modules.fee-watch.limits.memory_mb}), its line. */
  public record Problem(String key, int line, String message) {
    @Override
    public String toString() {
      return (line > 0 ? "line " + line + ": " : "")
          + (key == null ? "" : "key \"" + key + "\": ")
          + message;
    }
  }

  private final String source;
  private final List<Problem> problems;

  public PolicyException(String source, List<Problem> problems) {
    super(format(source, problems));
    this.source = source;
    this.problems = List.copyOf(problems);
  }

  private static String format(String source, List<Problem> problems) {
    StringBuilder sb = new StringBuilder(source);
    sb.append(": ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    for (int i = 0; i < problems.size(); i++) {
      sb.append("\n  [")
          .append(i + 1)
          .append(" of ")
          .append(problems.size())
          .append("] ")
          .append(problems.get(i));
    }
    return sb.toString();
  }

  public String source() {
    return source;
  }

  public List<Problem> problems() {
    return problems;
  }
}
