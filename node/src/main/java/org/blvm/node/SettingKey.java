package org.blvm.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * One key of the {@code [simulation]} section: its TOML name, kind (integer, number or text), range
 * and default, how a TOML value of it is read, and the messages for a wrong type or a value out of
 * range.
 */
final class SettingKey {
  enum Kind {
    INTEGER,
    NUMBER,
    TEXT
  }

  final String name;
  final Kind kind;
  final double min;
  final double max;
  final long minLong;
  final long maxLong;
  final Object defaultValue;

  private SettingKey(
      String name, Kind kind, double min, double max, long minL, long maxL, Object dflt) {
    this.name = name;
    this.kind = kind;
    this.min = min;
    this.max = max;
    this.minLong = minL;
    this.maxLong = maxL;
    this.defaultValue = dflt;
  }

  static SettingKey integer(String name, long min, long max, long dflt) {
    return new SettingKey(name, Kind.INTEGER, 0, 0, min, max, dflt);
  }

  static SettingKey number(String name, double min, double max, double dflt) {
    return new SettingKey(name, Kind.NUMBER, min, max, 0, 0, dflt);
  }

  static SettingKey text(String name, String dflt) {
    return new SettingKey(name, Kind.TEXT, 0, 0, 0, 0, dflt);
  }

  /** The value of a TOML node, or null when its type is wrong. */
  Object read(JsonNode n) {
    switch (kind) {
      case INTEGER:
        return n.isIntegralNumber() && n.canConvertToLong() ? n.longValue() : null;
      case NUMBER:
        return n.isNumber() && (!n.isIntegralNumber() || n.canConvertToLong())
            ? n.doubleValue()
            : null;
      default:
        return n.isTextual() ? n.textValue() : null;
    }
  }

  String typeError(JsonNode n) {
    String want;
    switch (kind) {
      case INTEGER:
        want = "an integer";
        break;
      case NUMBER:
        want = "a number";
        break;
      default:
        want = "a string";
    }
    String found = kind(n);
    if (n.isIntegralNumber() && !n.canConvertToLong()) {
      found = "an integer beyond 64 bits";
    }
    return "must be " + want + ", found " + found;
  }

  String rangeError(Object v) {
    if (v == null) {
      return "must be set";
    }
    switch (kind) {
      case INTEGER:
        long l = ((Number) v).longValue();
        return l < minLong || l > maxLong
            ? "must be in "
                + Long.toString(minLong)
                + ".."
                + Long.toString(maxLong)
                + ", found "
                + Long.toString(l)
            : null;
      case NUMBER:
        double d = ((Number) v).doubleValue();
        return !(d >= min && d <= max)
            ? "must be a number in " + plain(min) + ".." + plain(max) + ", found " + plain(d)
            : null;
      default:
        return null;
    }
  }

  private static String plain(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  /** How a TOML value is named in messages: "a table", "an integer" and so on. */
  static String kind(JsonNode n) {
    if (n.isObject()) {
      return "a table";
    } else if (n.isArray()) {
      return "an array";
    } else if (n.isTextual()) {
      return "a string";
    } else if (n.isBoolean()) {
      return "a boolean";
    } else if (n.isIntegralNumber()) {
      return "an integer";
    } else if (n.isNumber()) {
      return "a float";
    }
    return n.getNodeType().toString().toLowerCase(Locale.ROOT);
  }
}
