package org.blvm.node;

import java.util.List;

/**
 * The {@code [simulation]} section of a node config is invalid. Every problem found is listed, each
 * naming its key ({@code simulation.block_interval_seconds}); nothing of the file's content is
 * quoted except the offending value of a simulation key.
 */
public final class SimulationConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * One problem: {@code key} is the dotted key ({@code simulation.seed}, or {@code simulation} for
   * the section itself, or null for a syntax error), {@code line} its line when known (else 0).
   */
  public record Problem(String key, int line, String message) {
    @Override
    public String toString() {
      return (line > 0 ? "line " + line + ": " : "") + (key == null ? "" : key + ": ") + message;
    }
  }

  private final String source;
  private final transient List<Problem> problems;

  SimulationConfigException(String source, List<Problem> problems) {
    super(describe(source, problems));
    this.source = source;
    this.problems = List.copyOf(problems);
  }

  /** What was read: a file name or a label given by the caller. */
  public String source() {
    return source;
  }

  public List<Problem> problems() {
    return problems;
  }

  private static String describe(String source, List<Problem> problems) {
    StringBuilder sb = new StringBuilder("node config ").append(source).append(": ");
    for (int i = 0; i < problems.size(); i++) {
      if (i > 0) {
        sb.append("; ");
      }
      if (problems.size() > 1) {
        sb.append('[').append(i + 1).append(" of ").append(problems.size()).append("] ");
      }
      sb.append(problems.get(i));
    }
    return sb.toString();
  }
}
