package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Codec#encodeShared} + {@link Codec#eventFrame}, the per-connection event fast path. */
class SharedEventTest {
  private final Codec codec = Codec.withDefaults();

  /** The NewBlock sample as a tree in the node types CBOR decoding yields (int vs long). */
  private static JsonNode newBlock() {
    Codec c = Codec.withDefaults();
    try {
      return c.readCbor(c.writeCbor(Samples.tree(Samples.all().get(EventPayloads.NewBlock.class))));
    } catch (ProtocolException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] payloadOf(byte[] frame) {
    return Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length);
  }

  @ParameterizedTest
  @ValueSource(
      longs = {
        0,
        1,
        23,
        24,
        255,
        256,
        65_535,
        65_536,
        4_294_967_295L,
        4_294_967_296L,
        Long.MAX_VALUE
      })
  void eventFrame_anySeq_decodesAndMatchesGenericEncoding(long seq) throws Exception {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    byte[] frame = codec.eventFrame(shared, seq);
    Message.Event expected = new Message.Event(seq, "NewBlock", null, newBlock());
    assertEquals(expected, codec.decode(payloadOf(frame)));
    // byte for byte what the generic encoder produces
    assertArrayEquals(codec.encodeFrame(expected), frame);
  }

  @Test
  void eventFrame_moduleSource_matchesGenericEncoding() throws Exception {
    JsonNode payload = Samples.freeForm();
    SharedEvent shared = codec.encodeShared("lightning.invoice_paid", "lightning", payload);
    byte[] frame = codec.eventFrame(shared, 42);
    Message.Event expected = new Message.Event(42, "lightning.invoice_paid", "lightning", payload);
    assertEquals(expected, codec.decode(payloadOf(frame)));
    assertArrayEquals(codec.encodeFrame(expected), frame);
    assertEquals("lightning.invoice_paid", shared.type());
  }

  @Test
  void eventFrame_seqEncodings_useShortestHead() {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    // bytes after a5 64 "kind" 65 "event" 63 "seq": offset 4 + 1 + 5 + 6 + 4 = 20
    assertArrayEquals(new byte[] {0x17}, seqBytes(codec.eventFrame(shared, 23), 1));
    assertArrayEquals(new byte[] {0x18, 24}, seqBytes(codec.eventFrame(shared, 24), 2));
    assertArrayEquals(new byte[] {0x19, 1, 0}, seqBytes(codec.eventFrame(shared, 256), 3));
    assertArrayEquals(new byte[] {0x1A, 0, 1, 0, 0}, seqBytes(codec.eventFrame(shared, 65_536), 5));
    assertArrayEquals(
        new byte[] {0x1B, 0, 0, 0, 1, 0, 0, 0, 0}, seqBytes(codec.eventFrame(shared, 1L << 32), 9));
  }

  private static byte[] seqBytes(byte[] frame, int n) {
    return Arrays.copyOfRange(frame, 20, 20 + n);
  }

  @Test
  void eventFrame_headerLength_equalsPayloadLength() throws Exception {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    for (long seq : new long[] {1, 300, Long.MAX_VALUE}) {
      byte[] frame = codec.eventFrame(shared, seq);
      long declared =
          ((frame[0] & 0xFFL) << 24)
              | ((frame[1] & 0xFFL) << 16)
              | ((frame[2] & 0xFFL) << 8)
              | (frame[3] & 0xFFL);
      assertEquals(frame.length - 4, declared);
      assertEquals(
          frame.length - 4,
          Frames.read(new ByteArrayInputStream(frame), codec.limits().maxFrameBytes()).length);
    }
  }

  @Test
  void eventFrame_sharedOnceForManyConnections_eachFrameIndependent() throws Exception {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    byte[] a = codec.eventFrame(shared, 1);
    byte[] b = codec.eventFrame(shared, 2);
    a[a.length - 1] ^= 1;
    assertEquals(2, ((Message.Event) codec.decode(payloadOf(b))).seq());
    assertEquals(newBlock(), ((Message.Event) codec.decode(payloadOf(b))).payload());
  }

  @Test
  void eventFrame_overFrameLimit_throws() {
    Codec small = new Codec(Limits.DEFAULT.withMaxFrameBytes(128));
    SharedEvent shared =
        small.encodeShared(
            "NewBlock",
            null,
            com.fasterxml.jackson.databind.node.TextNode.valueOf("x".repeat(200)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> small.eventFrame(shared, 1));
    assertTrue(e.getMessage().contains("exceeds the frame limit 128"), e.getMessage());
  }

  @Test
  void eventFrame_exactlyAtFrameLimit_isAccepted() throws Exception {
    Codec c = Codec.withDefaults();
    SharedEvent shared =
        c.encodeShared("NewBlock", null, com.fasterxml.jackson.databind.node.TextNode.valueOf("x"));
    int size = c.eventFrame(shared, 1).length - 4;
    Codec exact = new Codec(Limits.DEFAULT.withMaxFrameBytes(Math.max(64, size)));
    byte[] frame =
        exact.eventFrame(
            exact.encodeShared(
                "NewBlock",
                null,
                com.fasterxml.jackson.databind.node.TextNode.valueOf(
                    "x".repeat(1 + Math.max(0, 64 - size)))),
            1);
    assertEquals(Math.max(64, size), frame.length - 4);
  }

  @Test
  void eventFrame_negativeSeq_throws() {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    assertThrows(IllegalArgumentException.class, () -> codec.eventFrame(shared, -1));
  }

  @ParameterizedTest
  @ValueSource(
      longs = {1, 23, 24, 255, 256, 65_535, 65_536, 4_294_967_295L, 4_294_967_296L, Long.MAX_VALUE})
  void writeEventFrame_anySeq_writesTheBytesOfEventFrame(long seq) throws Exception {
    SharedEvent shared = codec.encodeShared("NewBlock", null, newBlock());
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] scratch = new byte[DirectEncoder.MAX_EVENT_HEADER_BYTES];
    int n = codec.direct().writeEventFrame(out, shared, seq, scratch);
    byte[] expected = codec.encodeFrame(new Message.Event(seq, "NewBlock", null, newBlock()));
    assertArrayEquals(expected, out.toByteArray());
    assertEquals(expected.length, n);
    assertEquals(expected.length, codec.direct().eventFrameLength(shared, seq));
  }

  @Test
  void eventFrameLength_overFrameLimit_throws() {
    Codec small = new Codec(Limits.DEFAULT.withMaxFrameBytes(128));
    SharedEvent shared =
        small.encodeShared(
            "NewBlock",
            null,
            com.fasterxml.jackson.databind.node.TextNode.valueOf("x".repeat(200)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> small.direct().eventFrameLength(shared, 1));
    assertTrue(e.getMessage().contains("exceeds the frame limit 128"), e.getMessage());
  }
}
