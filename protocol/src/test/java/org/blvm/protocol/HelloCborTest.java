package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HelloCbor}: the hand-written hello gives byte for byte what the tree path gives, for every
 * token length it writes and every kind of character, for every number of versions and every size
 * of integer; and the decoder treats both alike, malformed ones included.
 */
class HelloCborTest {
  private final MessageCodec codec = Codec.withDefaults().messages();

  /** One character of each UTF-8 length, a surrogate pair counting as two chars. */
  private static final List<String> CHARS =
      List.of("a", "\u00e9", "\u20ac", "\ud83d\ude00", "\u0000");

  private static final int[] INTS = {
    0,
    1,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    Integer.MAX_VALUE,
    -1,
    -24,
    -25,
    -256,
    -257,
    -65_536,
    -65_537,
    Integer.MIN_VALUE
  };

  private void assertSameBytes(Message.Hello hello) {
    byte[] direct = HelloCbor.encode(hello);
    assertNotNull(direct, hello.toString());
    assertArrayEquals(codec.encodeThroughTree(hello), direct, hello.toString());
    assertArrayEquals(direct, codec.encode(hello));
  }

  @Test
  void encode_everyTokenLengthAndCharacterKind_sameBytesAsTree() {
    for (String c : CHARS) {
      StringBuilder token = new StringBuilder();
      while (token.length() <= HelloCbor.MAX_DIRECT_TOKEN_CHARS) {
        assertSameBytes(new Message.Hello(List.of(1), token.toString()));
        token.append(c);
      }
    }
    StringBuilder mixed = new StringBuilder();
    for (int i = 0; mixed.length() + 2 <= HelloCbor.MAX_DIRECT_TOKEN_CHARS; i++) {
      mixed.append(CHARS.get(i % CHARS.size()));
      assertSameBytes(new Message.Hello(List.of(1), mixed.toString()));
    }
  }

  @Test
  void encode_everyVersionCountAndIntegerSize_sameBytesAsTree() {
    String token = HexFormat.of().formatHex(new byte[32]);
    for (int count = 0; count <= 17; count++) {
      for (int v : INTS) {
        List<Integer> versions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          versions.add(i % 2 == 0 ? v : INTS[i % INTS.length]);
        }
        assertSameBytes(new Message.Hello(versions, token));
      }
    }
  }

  @Test
  void encode_tokenLongerThanDirectLimit_takesTreePath() {
    Message.Hello hello = new Message.Hello(List.of(1), "t".repeat(5000));
    assertNull(HelloCbor.encode(hello));
    assertArrayEquals(codec.encodeThroughTree(hello), codec.encode(hello));
  }

  @Test
  void decode_directBytes_roundTrip() throws ProtocolException {
    Message.Hello hello =
        new Message.Hello(List.of(1, 2, Integer.MAX_VALUE), HexFormat.of().formatHex(new byte[32]));
    assertEquals(hello, codec.decode(HelloCbor.encode(hello)));
  }

  @Test
  void decode_malformedHelloFromEitherPath_sameRejection() {
    List<Message.Hello> malformed =
        List.of(
            new Message.Hello(List.of(), "t"),
            new Message.Hello(List.of(0), "t"),
            new Message.Hello(List.of(-1), "t"),
            new Message.Hello(List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), "t"),
            new Message.Hello(List.of(1), "t".repeat(257)));
    for (Message.Hello hello : malformed) {
      ProtocolException direct =
          assertThrows(ProtocolException.class, () -> codec.decode(HelloCbor.encode(hello)));
      ProtocolException tree =
          assertThrows(ProtocolException.class, () -> codec.decode(codec.encodeThroughTree(hello)));
      assertEquals(tree.reason(), direct.reason(), hello.toString());
      assertEquals(tree.getMessage(), direct.getMessage(), hello.toString());
    }
  }
}
