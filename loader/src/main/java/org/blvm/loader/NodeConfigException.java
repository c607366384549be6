package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The node config file could not be used: unreadable, too large, empty, not valid TOML (including
 * duplicate keys and redefined tables) or not the expected shape. The message names the file, the
 * line when the parser reports one, and the problem; it never quotes the file's content, so it
 * cannot carry a secret value.
 */
public final class NodeConfigException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String problem;

  NodeConfigException(Path file, int line, String problem) {
    super(
        "node config "
            + file
            + (line > 0 ? " line " + line : "")
            + ": "
            + problem
            + " (the previous config, if any, stays in force)");
    this.file = file;
    this.line = line;
    this.problem = problem;
  }

  /** The config file. */
  public Path file() {
    return file;
  }

  /** The 1-based line of the problem, or 0 when unknown. */
  public int line() {
    return line;
  }

  /** What is wrong, without the file name or line. */
  public String problem() {
    return problem;
  }
}
