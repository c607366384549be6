package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Event payloads written by {@link RecordEncoder} give the bytes of the tree path, for every
 * integer width and sign, for strings it refuses (non-ASCII, long, null), and for records it cannot
 * write.
 */
class RecordEncoderTest {
  public record Flat(String name, long big, int small, boolean flag, String camelCaseName) {}

  public record Nested(String name, Flat inner) {}

  private static final long[] LONGS = CborIntegers.edgesAnd();

  /** The shared bytes of an event through the tree path, which the direct paths must equal. */
  private static byte[] throughTree(Codec codec, Object payload) {
    return codec.eventFrame(codec.encodeShared("t", "s", codec.toTree(payload)), 1);
  }

  private static byte[] direct(Codec codec, Object payload) {
    return codec.eventFrame(codec.encodeShared("t", "s", payload), 1);
  }

  @Test
  void flatRecord_everyIntegerWidth_sameBytesAsTheTreePath() {
    Codec codec = Codec.withDefaults();
    for (long l : LONGS) {
      int i = (int) l;
      Flat f = new Flat("x", l, i, l % 2 == 0, "y");
      assertArrayEquals(throughTree(codec, f), direct(codec, f), "value " + l);
    }
    assertTrue(codec.direct().encodesDirectly(new Flat("x", 1, 1, true, "y")));
  }

  @Test
  void flatRecord_stringsItRefuses_sameBytesAsTheTreePath() {
    Codec codec = Codec.withDefaults();
    direct(codec, new Flat("a", 1, 1, true, "b")); // the class is verified first
    for (String s : List.of("", "é", "日本", "\ud83d\ude00", "x".repeat(1025), "x".repeat(70_000))) {
      Flat f = new Flat(s, 7, 7, false, s);
      assertArrayEquals(throughTree(codec, f), direct(codec, f), "string of " + s.length());
    }
    Flat withNull = new Flat(null, 7, 7, false, null);
    assertArrayEquals(throughTree(codec, withNull), direct(codec, withNull));
    assertTrue(codec.direct().encodesDirectly(withNull));
  }

  @Test
  void nestedRecord_notWrittenDirectly_sameBytes() {
    Codec codec = Codec.withDefaults();
    Nested n = new Nested("n", new Flat("x", 300, -300, true, "y"));
    assertArrayEquals(throughTree(codec, n), direct(codec, n));
    assertFalse(codec.direct().encodesDirectly(n));
  }

  @Test
  void everyEventPayloadSample_sameBytesAsTheTreePath() {
    Codec codec = Codec.withDefaults();
    for (Object sample : Samples.all().values()) {
      for (int round = 0; round < 2; round++) { // the first verifies the class, the second uses it
        assertArrayEquals(throughTree(codec, sample), direct(codec, sample), sample.toString());
      }
    }
  }
}
