package org.blvm.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds the line of a dotted key in TOML text, for messages. Jackson's TOML reader gives a location
 * only for syntax errors; for meaning errors this scan maps table headers ({@code [a.b]}, {@code
 * [[a]]} as {@code a[0]}, {@code a[1]} …) and {@code key =} lines to line numbers. Best effort: a
 * key it cannot place yields 0 and the message simply has no line.
 */
final class TomlLines {
  /** Enclosing tables {@link #lineOf} tries before it gives up. */
  private static final int MAX_STEPS = 32;

  private final Map<String, Integer> lines = new HashMap<>();
  private String firstDuplicate;
  private int firstDuplicateLine;

  TomlLines(String text) {
    String table = "";
    Map<String, Integer> arrayCounts = new HashMap<>();
    String[] all = text.split("\n", -1);
    for (int i = 0; i < all.length; i++) {
      String line = all[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[[")) {
        int end = line.indexOf("]]");
        if (end > 2) {
          String name = path(line.substring(2, end));
          int n = arrayCounts.merge(name, 1, Integer::sum) - 1;
          table = name + "[" + n + "]";
          lines.putIfAbsent(table, i + 1);
        }
      } else if (line.startsWith("[")) {
        int end = line.indexOf(']');
        if (end > 1) {
          table = path(line.substring(1, end));
          record(table, i + 1);
        }
      } else {
        int eq = keyEnd(line);
        if (eq > 0) {
          String key = path(line.substring(0, eq));
          record(table.isEmpty() ? key : table + "." + key, i + 1);
        }
      }
    }
  }

  private void record(String key, int line) {
    if (lines.putIfAbsent(key, line) != null && firstDuplicate == null) {
      firstDuplicate = key;
      firstDuplicateLine = line;
    }
  }

  /** The first key or table defined twice, or null. */
  String firstDuplicate() {
    return firstDuplicate;
  }

  int firstDuplicateLine() {
    return firstDuplicateLine;
  }

  /**
   * Jackson reports some errors where its lexer stopped, which after a complete value is the start
   * of the next line; such a location is moved back to the line the value was on.
   */
  static int errorLine(com.fasterxml.jackson.core.JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return 0;
    }
    return loc.getColumnNr() <= 1 && loc.getLineNr() > 1 ? loc.getLineNr() - 1 : loc.getLineNr();
  }

  /** Index of the '=' that ends the key part of a key/value line, or -1. */
  private static int keyEnd(String line) {
    boolean quoted = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == quote) {
          quoted = false;
        }
      } else if (c == '"' || c == '\'') {
        quoted = true;
        quote = c;
      } else if (c == '=') {
        return i;
      }
    }
    return -1;
  }

  /**
   * Normalises {@code a . "b" . c} to {@code a.b.c}: splits at dots outside quotes, in one pass (a
   * header of many dots must not cost the square of its length).
   */
  private static String path(String raw) {
    StringBuilder sb = new StringBuilder();
    int start = 0;
    char quote = 0;
    for (int i = 0; i <= raw.length(); i++) {
      char c = i < raw.length() ? raw.charAt(i) : '.';
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '.' || i == raw.length()) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(unquoted(raw.substring(start, Math.min(i, raw.length())).strip()));
        start = i + 1;
      }
    }
    if (quote != 0) { // an unterminated quote: the rest is one part
      if (sb.length() > 0) {
        sb.append('.');
      }
      sb.append(unquoted(raw.substring(Math.min(start, raw.length())).strip()));
    }
    return sb.toString();
  }

  private static String unquoted(String p) {
    if (p.length() >= 2
        && (p.startsWith("\"") && p.endsWith("\"") || p.startsWith("'") && p.endsWith("'"))) {
      return p.substring(1, p.length() - 1);
    }
    return p;
  }

  /**
   * Line of {@code key}, or of its closest enclosing table within {@link #MAX_STEPS} levels; 0 when
   * unknown (each step costs the key's length, and a key may hold thousands of dots).
   */
  int lineOf(String key) {
    String k = key;
    for (int step = 0; step < MAX_STEPS && k != null && !k.isEmpty(); step++) {
      Integer l = lines.get(k);
      if (l != null) {
        return l;
      }
      int dot = k.lastIndexOf('.');
      k = dot < 0 ? null : k.substring(0, dot);
    }
    return 0;
  }
}
