package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The message of a failed {@link ValueCodec#toValue}, in protocol terms: the path of the offending
 * key from the root ({@code params.header.hash}, {@code params.events[2]}), the CBOR type the
 * schema expects, named as in protocol.md §6 ("an integer (64-bit)", "a text string", "a map" …),
 * and what was found. It never names a Java class or a Jackson setting.
 *
 * <p>It runs only after a conversion failed, and finds the problem by checking the input tree
 * against the record's components itself, so it does not depend on the wording of Jackson's
 * exceptions: only a failed constructor (a value the record's own validation refused) is taken from
 * the exception, with the record's own message.
 */
final class ValueErrors {
  private static final PropertyNamingStrategies.NamingBase SNAKE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

  /** Longest key quoted in a message; longer ones are cut. */
  private static final int MAX_KEY_CHARS = 64;

  private static final ClassValue<String> ROOTS =
      new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
          for (NodeMethod m : NodeMethod.values()) {
            if (m.paramsType() == type) {
              return "params";
            }
            if (m.resultType().orElse(null) == type) {
              return "result";
            }
          }
          for (EventType t : EventType.values()) {
            if (t.payloadType() == type) {
              return "payload";
            }
          }
          return "value";
        }
      };

  private ValueErrors() {}

  /** The name a tree of this type has in the protocol: params, result, payload or value. */
  static String rootName(Class<?> type) {
    return ROOTS.get(type);
  }

  /** Why {@code input} could not be read as a {@code type}, given how the conversion failed. */
  static String message(JsonNode input, Class<?> type, String root, Exception failure) {
    if (failure instanceof ValueInstantiationException v) {
      return refused(input, root, v);
    }
    String problem = problem(input, type, root);
    if (problem != null) {
      return problem;
    }
    return (failure instanceof JsonMappingException j ? root + path(j) : root)
        + ": does not match the expected type";
  }

  // ------------------------------------------------------------------ the schema check

  /** The first place where {@code n} does not fit {@code t}, or null. */
  static String problem(JsonNode n, Type t, String loc) {
    Class<?> raw = raw(t);
    if (JsonNode.class.isAssignableFrom(raw)) {
      return null; // free-form: any value
    }
    if (n == null || n.isNull() || n.isMissingNode()) {
      // null is for the record's constructor to accept or refuse, except for a primitive
      return raw.isPrimitive() ? mismatch(loc, t, n) : null;
    }
    if (raw == String.class) {
      return n.isTextual() ? null : mismatch(loc, t, n);
    } else if (raw == long.class || raw == Long.class) {
      return integer(loc, t, n, n.canConvertToLong());
    } else if (raw == int.class || raw == Integer.class) {
      return integer(loc, t, n, n.canConvertToInt());
    } else if (raw == double.class || raw == Double.class) {
      return n.isNumber() ? null : mismatch(loc, t, n);
    } else if (raw == boolean.class || raw == Boolean.class) {
      return n.isBoolean() ? null : mismatch(loc, t, n);
    } else if (raw.isRecord()) {
      return record(n, raw, loc);
    } else if (Collection.class.isAssignableFrom(raw)) {
      if (!n.isArray()) {
        return mismatch(loc, t, n);
      }
      Type element = typeArgument(t, 0);
      for (int i = 0; i < n.size(); i++) {
        String p = problem(n.get(i), element, loc + "[" + i + "]");
        if (p != null) {
          return p;
        }
      }
      return null;
    } else if (Map.class.isAssignableFrom(raw)) {
      if (!n.isObject()) {
        return mismatch(loc, t, n);
      }
      Type value = typeArgument(t, 1);
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = problem(e.getValue(), value, loc + "." + key(e.getKey()));
        if (p != null) {
          return p;
        }
      }
      return null;
    }
    return null; // a type this check does not know: the conversion's verdict stands
  }

  private static String record(JsonNode n, Class<?> type, String loc) {
    if (!n.isObject()) {
      return mismatch(loc, type, n);
    }
    RecordComponent[] components = type.getRecordComponents();
    List<String> names = new ArrayList<>();
    for (RecordComponent c : components) {
      names.add(wireName(c));
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!names.contains(k)) {
        return loc
            + " has an unknown field \""
            + key(k)
            + "\"; allowed: "
            + (names.isEmpty() ? "none" : String.join(", ", names));
      }
    }
    for (String name : names) {
      if (!n.has(name)) {
        return loc + " is missing the field \"" + name + "\"";
      }
    }
    for (int i = 0; i < components.length; i++) {
      String p =
          problem(n.get(names.get(i)), components[i].getGenericType(), loc + "." + names.get(i));
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  private static String integer(String loc, Type t, JsonNode n, boolean fits) {
    if (!n.isIntegralNumber()) {
      return mismatch(loc, t, n);
    }
    return fits
        ? null
        : loc
            + ": expected "
            + expected(t)
            + ", found the number "
            + n.asText()
            + ", which is out of range";
  }

  private static String mismatch(String loc, Type t, JsonNode found) {
    return loc + ": expected " + expected(t) + ", found " + Fields.describe(found);
  }

  /** The CBOR type of a Java type, as protocol.md §6 names it. */
  static String expected(Type t) {
    Class<?> raw = raw(t);
    if (raw == String.class) {
      return "a text string";
    } else if (raw == long.class || raw == Long.class) {
      return "an integer (64-bit)";
    } else if (raw == int.class || raw == Integer.class) {
      return "an integer (32-bit)";
    } else if (raw == double.class || raw == Double.class) {
      return "a float or an integer";
    } else if (raw == boolean.class || raw == Boolean.class) {
      return "a boolean";
    } else if (raw.isRecord() || Map.class.isAssignableFrom(raw)) {
      return "a map";
    } else if (Collection.class.isAssignableFrom(raw)) {
      return "an array";
    }
    return "a value";
  }

  // ------------------------------------------------------------------ a refused constructor

  /**
   * A record's constructor refused the values: its own message (validation speaks protocol terms:
   * "hash must be 64 lowercase hex characters …"), or for a null it does not take, the key.
   */
  private static String refused(JsonNode input, String root, ValueInstantiationException v) {
    String loc = root + path(v);
    Throwable cause = v.getCause();
    Class<?> type = v.getType() == null ? null : v.getType().getRawClass();
    JsonNode at = nodeAt(input, v);
    if (cause instanceof NullPointerException
        && type != null
        && type.isRecord()
        && at != null
        && at.isObject()) {
      return nullRefused(at, type, loc, cause.getMessage());
    }
    String why = cause == null ? null : cause.getMessage();
    return loc + ": " + (why == null ? "the value is refused" : why);
  }

  /** Which null a record refused: the key its check names, else a null list or map, or element. */
  private static String nullRefused(JsonNode at, Class<?> type, String loc, String named) {
    RecordComponent[] components = type.getRecordComponents();
    for (RecordComponent c : components) {
      String name = wireName(c);
      if (name.equals(named) && isNull(at.get(name))) {
        return nullAt(loc + "." + name, c.getGenericType());
      }
    }
    for (RecordComponent c : components) {
      String name = wireName(c);
      Class<?> raw = c.getType();
      JsonNode v = at.get(name);
      boolean container = Collection.class.isAssignableFrom(raw) || Map.class.isAssignableFrom(raw);
      if (!container) {
        continue;
      }
      if (isNull(v)) {
        return nullAt(loc + "." + name, c.getGenericType());
      }
      Type element = typeArgument(c.getGenericType(), v.isArray() ? 0 : 1);
      if (v.isArray()) {
        for (int i = 0; i < v.size(); i++) {
          if (isNull(v.get(i))) {
            return nullAt(loc + "." + name + "[" + i + "]", element);
          }
        }
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (isNull(e.getValue())) {
            return nullAt(loc + "." + name + "." + key(e.getKey()), element);
          }
        }
      }
    }
    for (RecordComponent c : components) {
      String name = wireName(c);
      if (!c.getType().isPrimitive()
          && !JsonNode.class.isAssignableFrom(c.getType())
          && isNull(at.get(name))) {
        return nullAt(loc + "." + name, c.getGenericType());
      }
    }
    return loc + ": a value that may not be null is null";
  }

  private static String nullAt(String loc, Type t) {
    return loc + ": expected " + expected(t) + ", found null";
  }

  private static boolean isNull(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode();
  }

  // ------------------------------------------------------------------ helpers

  /** {@code .key} and {@code [index]} steps of the exception's path. */
  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        b.append('.').append(key(r.getFieldName()));
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /** The node at the exception's path, or null. */
  private static JsonNode nodeAt(JsonNode input, JsonMappingException e) {
    JsonNode n = input;
    for (JsonMappingException.Reference r : e.getPath()) {
      if (n == null) {
        return null;
      }
      n = r.getFieldName() != null ? n.get(r.getFieldName()) : n.get(r.getIndex());
    }
    return n;
  }

  private static String wireName(RecordComponent c) {
    return SNAKE.translate(c.getName());
  }

  /** A key from the input as it may be quoted: control characters replaced, at most 64 chars. */
  private static String key(String k) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < k.length() && i < MAX_KEY_CHARS; i++) {
      char c = k.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return k.length() > MAX_KEY_CHARS ? b + "…" : b.toString();
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return Object.class;
  }

  private static Type typeArgument(Type t, int i) {
    if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) {
      return p.getActualTypeArguments()[i];
    }
    return Object.class;
  }
}
