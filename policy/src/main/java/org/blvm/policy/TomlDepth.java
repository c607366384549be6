package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The nesting bound for TOML files (manifests, the policy, the node config). Jackson's TOML reader
 * bounds nested arrays and inline tables (1,000 levels) but not dotted keys or table headers: a 64
 * KiB {@code [a.a.a. …]} header is a tree 32,000 tables deep, and code that walks such a tree
 * recursively ({@code deepCopy}, {@code equals}, {@code toString}) ends in a StackOverflowError or
 * an unchecked exception. Every TOML tree is checked against {@link #MAX} right after it is read,
 * without recursion.
 */
public final class TomlDepth {
  /**
   * Deepest accepted nesting, counting the root table as 1 and each table or array inside one more:
   * far beyond any real file, and a module's config section stays within the protocol's nesting
   * limit of 32 when the node sends it inside a message.
   */
  public static final int MAX = 24;

  private TomlDepth() {}

  /** Whether {@code root} nests tables and arrays deeper than {@link #MAX}. */
  public static boolean exceeded(JsonNode root) {
    Deque<JsonNode> level = new ArrayDeque<>();
    level.add(root);
    for (int depth = 1; !level.isEmpty(); depth++) {
      Deque<JsonNode> next = new ArrayDeque<>();
      for (JsonNode n : level) {
        for (JsonNode child : n) {
          if (child.isContainerNode()) {
            next.add(child);
          }
        }
      }
      if (!next.isEmpty() && depth == MAX) {
        return true;
      }
      level = next;
    }
    return false;
  }

  /** The message for a tree that {@link #exceeded}. */
  public static String problem() {
    return "tables and arrays nested deeper than " + MAX + " levels";
  }
}
