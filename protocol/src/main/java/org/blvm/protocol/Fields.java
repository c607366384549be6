package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;

/**
 * Strict access to the keys of one map of a message envelope: only the allowed keys, required keys
 * present, each of the expected CBOR type and within its bound. Failures are {@link
 * ProtocolException}s naming the key (with {@code prefix}), what was expected and what was found.
 */
final class Fields {
  final ObjectNode root;
  private final String prefix;

  Fields(ObjectNode root) {
    this(root, "");
  }

  Fields(ObjectNode root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  void only(String... allowed) throws ProtocolException {
    Iterator<String> it = root.fieldNames();
    while (it.hasNext()) {
      String key = it.next();
      if (!contains(allowed, key)) {
        throw new ProtocolException(
            ProtocolException.Reason.BAD_FIELD,
            "unknown key \"" + prefix + key + "\"; allowed: " + String.join(", ", allowed));
      }
    }
  }

  /** A scan, not a set: at most a handful of keys, checked for every message. */
  private static boolean contains(String[] allowed, String key) {
    for (String a : allowed) {
      if (a.equals(key)) {
        return true;
      }
    }
    return false;
  }

  JsonNode require(String key) throws ProtocolException {
    JsonNode n = root.get(key);
    if (n == null) {
      throw new ProtocolException(
          ProtocolException.Reason.BAD_FIELD, "missing key \"" + prefix + key + "\"");
    }
    return n;
  }

  JsonNode optional(String key) {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : n;
  }

  String text(String key, int maxChars) throws ProtocolException {
    JsonNode n = require(key);
    if (!n.isTextual()) {
      throw wrongType(prefix + key, "a text string", n);
    }
    return bounded(key, n.textValue(), maxChars);
  }

  String nullableText(String key, int maxChars) throws ProtocolException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw wrongType(prefix + key, "a text string or null", n);
    }
    return bounded(key, n.textValue(), maxChars);
  }

  private String bounded(String key, String s, int maxChars) throws ProtocolException {
    if (s.length() > maxChars) {
      throw new ProtocolException(
          ProtocolException.Reason.LIMIT_EXCEEDED,
          prefix + key + " has " + s.length() + " characters, at most " + maxChars + " allowed");
    }
    return s;
  }

  long uint(String key, long max) throws ProtocolException {
    JsonNode n = require(key);
    if (!n.isIntegralNumber()
        || !n.canConvertToLong()
        || n.longValue() < 0
        || n.longValue() > max) {
      throw wrongType(prefix + key, "an unsigned integer <= " + max, n);
    }
    return n.longValue();
  }

  long id() throws ProtocolException {
    long id = uint("id", Long.MAX_VALUE);
    if (id == 0) {
      throw new ProtocolException(
          ProtocolException.Reason.BAD_FIELD, prefix + "id must be >= 1, found 0");
    }
    return id;
  }

  static ProtocolException wrongType(String field, String expected, JsonNode found) {
    return new ProtocolException(
        ProtocolException.Reason.WRONG_TYPE,
        field + " must be " + expected + ", found " + describe(found));
  }

  /** What a node is, in CBOR terms: "a text string", "the number 5", "a map" … */
  static String describe(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    switch (n.getNodeType()) {
      case STRING:
        return "a text string";
      case NUMBER:
        return "the number " + n.asText();
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      case ARRAY:
        return "an array";
      case OBJECT:
        return "a map";
      case BINARY:
        return "a byte string";
      default:
        return n.getNodeType().name().toLowerCase(Locale.ROOT);
    }
  }
}
