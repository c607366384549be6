package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks that an error message speaks protocol terms, not Java or Jackson internals. */
final class ProtocolTerms {
  /** A dotted Java name or a nested class name. */
  private static final Pattern JAVA_NAME =
      Pattern.compile("\\b(java|javax|com|org)\\.[a-z]|\\w\\$\\w|\\bclass\\b");

  /** Words of Jackson's own messages. */
  private static final List<String> JACKSON =
      List.of(
          "Coercion",
          "coerce",
          "`",
          "JsonToken",
          "START_ARRAY",
          "VALUE_",
          "creator property",
          "Unrecognized",
          "DeserializationFeature",
          "MapperFeature",
          "not marked as ignorable",
          "Cannot deserialize",
          "Cannot construct",
          "Cannot map");

  /**
   * The Java names of the catalog's records, except those that are also event type names (the
   * payload of {@code NewBlock} is the record {@code NewBlock}: that name is a protocol term).
   */
  private static final Pattern TYPE_NAME = typeNames();

  private ProtocolTerms() {}

  private static Pattern typeNames() {
    Set<String> events = new HashSet<>();
    for (EventType t : EventType.values()) {
      events.add(t.wireName());
    }
    List<String> names = new ArrayList<>();
    for (Class<?> type : CodecValuesTest.catalogTypes()) {
      if (!events.contains(type.getSimpleName())) {
        names.add(Pattern.quote(type.getSimpleName()));
      }
    }
    return Pattern.compile("\\b(" + String.join("|", names) + ")\\b");
  }

  static void assertPlain(String message) {
    assertFalse(message.contains("$"), "a nested class name in: " + message);
    assertFalse(JAVA_NAME.matcher(message).find(), "a Java name in: " + message);
    for (String word : JACKSON) {
      assertFalse(message.contains(word), "\"" + word + "\" in: " + message);
    }
    assertFalse(TYPE_NAME.matcher(message).find(), "a Java type name in: " + message);
  }
}
