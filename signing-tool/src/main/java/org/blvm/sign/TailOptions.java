package org.blvm.sign;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

/** {@code -n N} and {@code -f}: how much of a log to print and whether to keep following it. */
final class TailOptions {
  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new lines until Ctrl-C.")
  boolean follow;

  @Option(
      names = {"-n", "--lines"},
      paramLabel = "N",
      defaultValue = "100",
      description = "How many of the last lines (0-10000, default ${DEFAULT-VALUE}).")
  int lines;

  /** Adds {@code lines} and {@code follow} to a request's arguments. */
  ObjectNode into(ObjectNode args) {
    return args.put("lines", lines).put("follow", follow);
  }
}
