package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Collects the problems of one policy file with their lines, and reads typed values so that a bad
 * value is one problem naming its key (the parse goes on with the default, so every problem of the
 * file is reported at once).
 */
final class PolicyProblems {
  final String source;
  final TomlLines lines;
  final List<PolicyException.Problem> list = new ArrayList<>();

  PolicyProblems(String source, TomlLines lines) {
    this.source = source;
    this.lines = lines;
  }

  void add(String key, String message) {
    list.add(new PolicyException.Problem(key, key == null ? 0 : lines.lineOf(key), message));
  }

  PolicyException exception() {
    return new PolicyException(source, list);
  }

  void unknownKeys(JsonNode n, String at, Set<String> allowed) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        add(
            at.isEmpty() ? k : at + "." + k,
            "unknown key; allowed here: " + String.join(", ", allowed));
      }
    }
  }

  int integer(JsonNode n, String field, String key, int min, int max, int dflt) {
    JsonNode v = n.get(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      add(key, "must be an integer, found " + v.getNodeType() + " " + v);
      return dflt;
    }
    long l = v.longValue();
    if (l < min || l > max) {
      add(key, "must be from " + min + " to " + max + ", found " + l);
      return dflt;
    }
    return (int) l;
  }

  /** Like {@link #integer}, for a key whose absence means "not set" ({@code dflt}). */
  OptionalInt optionalInt(
      JsonNode n, String field, String key, int min, int max, OptionalInt dflt) {
    if (n.get(field) == null) {
      return dflt;
    }
    int before = list.size();
    int v = integer(n, field, key, min, max, 0);
    return list.size() == before ? OptionalInt.of(v) : dflt;
  }

  boolean bool(JsonNode n, String field, String key, boolean dflt) {
    JsonNode v = n.get(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isBoolean()) {
      add(key, "must be true or false, found " + v.getNodeType());
      return dflt;
    }
    return v.booleanValue();
  }

  String string(JsonNode n, String field, String key, String dflt) {
    JsonNode v = n.get(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isTextual()) {
      add(key, "must be a string, found " + v.getNodeType());
      return dflt;
    }
    return v.textValue();
  }

  List<String> strings(JsonNode n, String field, String key) {
    JsonNode v = n.get(field);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!v.isArray()) {
      add(key, "must be an array of strings");
      return out;
    }
    if (v.size() > 1024) {
      add(key, "more than 1024 entries");
      return out;
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        add(key, "must be an array of strings, found " + e.getNodeType());
      } else {
        out.add(e.textValue());
      }
    }
    return out;
  }

  <E extends Enum<E>> E choice(JsonNode n, String field, String key, Class<E> type, E dflt) {
    String s = string(n, field, key, null);
    if (s == null) {
      return dflt;
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      String wire = e.name().toLowerCase(java.util.Locale.ROOT);
      names.add(wire);
      if (wire.equals(s)) {
        return e;
      }
    }
    add(key, "must be one of " + String.join(" | ", names) + ", found \"" + s + "\"");
    return dflt;
  }

  Instant instant(JsonNode n, String field, String key) {
    String s = string(n, field, key, null);
    if (s == null) {
      return null;
    }
    String t =
        s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + "T" + s.substring(11) : s;
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      add(
          key,
          "must be a date-time with an offset, like 2026-01-01T00:00:00Z, found \"" + s + "\"");
      return null;
    }
  }
}
