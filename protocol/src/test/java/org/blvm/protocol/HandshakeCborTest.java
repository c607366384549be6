package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HandshakeCbor}: the hand-written hello and request without params give byte for byte what
 * the tree path gives, for every text length they write and every kind of character, for every
 * number of versions and every size of integer; the decoder treats both alike, malformed ones
 * included; every other message takes the tree path.
 */
class HandshakeCborTest {
  private final MessageCodec codec = Codec.withDefaults().messages();

  /** One character of each UTF-8 length (a surrogate pair counts as two chars), and NUL. */
  private static final List<String> CHARS =
      List.of("a", "\u00e9", "\u20ac", "\ud83d\ude00", "\u0000");

  /** Every CBOR head width, and the limits of an int (versions are ints). */
  private static final long[] INTS = CborIntegers.edgesAnd(Integer.MAX_VALUE, Integer.MIN_VALUE);

  private static final String TOKEN = HexFormat.of().formatHex(new byte[32]);

  private void assertSameBytes(Message m) {
    byte[] direct = HandshakeCbor.encode(m);
    assertNotNull(direct, m.toString());
    assertArrayEquals(codec.encodeThroughTree(m), direct, m.toString());
    assertArrayEquals(direct, codec.encode(m));
  }

  /** Texts of every length up to the direct limit, of each kind of character and mixed. */
  private static List<String> texts() {
    List<String> all = new ArrayList<>();
    for (String c : CHARS) {
      StringBuilder text = new StringBuilder();
      while (text.length() <= HandshakeCbor.MAX_DIRECT_TEXT_CHARS) {
        all.add(text.toString());
        text.append(c);
      }
    }
    StringBuilder mixed = new StringBuilder();
    for (int i = 0; mixed.length() + 2 <= HandshakeCbor.MAX_DIRECT_TEXT_CHARS; i++) {
      mixed.append(CHARS.get(i % CHARS.size()));
      all.add(mixed.toString());
    }
    return all;
  }

  @Test
  void encode_helloWithEveryTokenLengthAndCharacterKind_sameBytesAsTree() {
    for (String token : texts()) {
      assertSameBytes(new Message.Hello(List.of(1), token));
    }
  }

  @Test
  void encode_helloWithEveryVersionCountAndIntegerSize_sameBytesAsTree() {
    for (int count = 0; count <= 17; count++) {
      for (long v : INTS) {
        List<Integer> versions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          versions.add((int) (i % 2 == 0 ? v : INTS[i % INTS.length]));
        }
        assertSameBytes(new Message.Hello(versions, TOKEN));
      }
    }
  }

  @Test
  void encode_requestWithoutParamsEveryIdAndMethod_sameBytesAsTree() {
    for (long id : INTS) {
      assertSameBytes(new Message.Request(id, "ready", null));
    }
    for (String method : texts()) {
      assertSameBytes(new Message.Request(7, method, null));
    }
  }

  @Test
  void encode_textLongerThanDirectLimit_takesTreePath() {
    String longText = "t".repeat(5000);
    for (Message m :
        List.of(new Message.Hello(List.of(1), longText), new Message.Request(1, longText, null))) {
      assertNull(HandshakeCbor.encode(m));
      assertArrayEquals(codec.encodeThroughTree(m), codec.encode(m));
    }
  }

  @Test
  void encode_otherMessages_takeTreePath() {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    assertNull(HandshakeCbor.encode(new Message.Request(1, "ready", nodes.nullNode())));
    assertNull(HandshakeCbor.encode(new Message.Request(1, "m", nodes.objectNode())));
    assertNull(HandshakeCbor.encode(new Message.Log(Message.LogLevel.INFO, "x")));
    assertNull(HandshakeCbor.encode(new Message.Close(ErrorCode.SHUTDOWN, "x")));
  }

  @Test
  void decode_directBytes_roundTrip() throws ProtocolException {
    Message.Hello hello = new Message.Hello(List.of(1, 2, Integer.MAX_VALUE), TOKEN);
    assertEquals(hello, codec.decode(HandshakeCbor.encode(hello)));
    Message.Request ready = new Message.Request(Long.MAX_VALUE, "ready", null);
    assertEquals(ready, codec.decode(HandshakeCbor.encode(ready)));
  }

  @Test
  void decode_malformedFromEitherPath_sameRejection() {
    List<Message> malformed =
        List.of(
            new Message.Hello(List.of(), "t"),
            new Message.Hello(List.of(0), "t"),
            new Message.Hello(List.of(-1), "t"),
            new Message.Hello(List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), "t"),
            new Message.Hello(List.of(1), "t".repeat(257)),
            new Message.Request(-1, "ready", null),
            new Message.Request(1, "m".repeat(129), null));
    for (Message m : malformed) {
      ProtocolException direct =
          assertThrows(ProtocolException.class, () -> codec.decode(HandshakeCbor.encode(m)));
      ProtocolException tree =
          assertThrows(ProtocolException.class, () -> codec.decode(codec.encodeThroughTree(m)));
      assertEquals(tree.reason(), direct.reason(), m.toString());
      assertEquals(tree.getMessage(), direct.getMessage(), m.toString());
    }
  }
}
