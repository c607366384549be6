package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LinkCodecTest {
  private static final HexFormat HEX = HexFormat.of();

  private static LinkFrame roundTrip(LinkFrame f) throws Exception {
    return LinkCodec.read(new ByteArrayInputStream(LinkCodec.encode(f)));
  }

  private static LinkCodec.MalformedFrameException malformed(String hex) {
    return assertThrows(
        LinkCodec.MalformedFrameException.class,
        () -> LinkCodec.read(new ByteArrayInputStream(HEX.parseHex(hex))));
  }

  @Test
  void hello_bytesAsDocumented_roundTrips() throws Exception {
    LinkFrame hello = new LinkFrame.Hello("node-a");

    // length 9, version 1, type 1 (hello), id length 6, "node-a"
    assertArrayEquals(
        HEX.parseHex("00000009" + "01" + "01" + "06" + "6e6f64652d61"), LinkCodec.encode(hello));
    assertEquals(hello, roundTrip(hello));
  }

  @Test
  void announceAndPacket_roundTrip() throws Exception {
    LinkFrame a = new LinkFrame.Announce(Map.of("b", 1, "c", 16));
    LinkFrame p = new LinkFrame.Packet("a", "c", 3, 1, "{\"greeting\":\"héllo\"}");

    assertEquals(a, roundTrip(a));
    assertEquals(p, roundTrip(p));
    // a packet: 01 03 ttl hops, source, destination, payload length, payload
    assertEquals(
        "0000000c" + "01" + "03" + "02" + "00" + "0161" + "0162" + "00000000",
        HEX.formatHex(LinkCodec.encode(new LinkFrame.Packet("a", "b", 2, 0, ""))));
  }

  @Test
  void length_outOfBounds_refusedBeforeReading() {
    assertTrue(malformed("00010001").getMessage().contains("frame length 65537 outside 2..65536"));
    assertTrue(malformed("ffffffff").getMessage().contains("frame length 4294967295"));
    assertTrue(malformed("00000001" + "01").getMessage().contains("frame length 1"));
  }

  @Test
  void truncated_isEndOfStream() {
    assertThrows(
        EOFException.class,
        () -> LinkCodec.read(new ByteArrayInputStream(HEX.parseHex("00000008010106"))));
    assertThrows(
        EOFException.class, () -> LinkCodec.read(new ByteArrayInputStream(HEX.parseHex("0000"))));
  }

  @Test
  void malformedBodies_refusedWithTheirReason() {
    assertTrue(
        malformed("00000003" + "02" + "01" + "00")
            .getMessage()
            .contains("link protocol version 2 is not supported (supported: 1)"));
    assertTrue(malformed("00000002" + "01" + "09").getMessage().contains("unknown frame type 9"));
    assertTrue(
        malformed("00000005" + "01" + "01" + "01" + "41" + "00")
            .getMessage()
            .contains("hello node id is not a node id"));
    assertTrue(
        malformed("00000006" + "01" + "01" + "01" + "61" + "0000")
            .getMessage()
            .contains("2 bytes after the end of a frame of type 1"));
    assertTrue(
        malformed("00000005" + "01" + "01" + "05" + "6161")
            .getMessage()
            .contains("frame ends early: 5 more bytes needed, 2 left"));
    assertTrue(
        malformed("00000004" + "01" + "01" + "01" + "ff").getMessage().contains("not UTF-8"));
    // an announcement of 513 routes, one repeated, a hop count of 0 and of 17
    assertTrue(malformed("00000004" + "01" + "02" + "0201").getMessage().contains("513 routes"));
    assertTrue(
        malformed("0000000a" + "01" + "02" + "0002" + "016101" + "016102")
            .getMessage()
            .contains("route 1 repeats \"a\""));
    assertTrue(
        malformed("00000007" + "01" + "02" + "0001" + "016100")
            .getMessage()
            .contains("route 0 hop count 0 outside 1..16"));
    assertTrue(
        malformed("00000007" + "01" + "02" + "0001" + "016111")
            .getMessage()
            .contains("hop count 17"));
    // a packet whose payload claims 32769 bytes
    assertTrue(
        malformed("0000000c" + "01" + "03" + "0200" + "0161" + "0162" + "00008001")
            .getMessage()
            .contains("payload of 32769 bytes, at most 32768"));
  }

  @Test
  void encode_refusesWhatItCouldNotRead() {
    assertThrows(IllegalArgumentException.class, () -> LinkCodec.encode(new LinkFrame.Hello("A")));
    Map<String, Integer> many = new HashMap<>();
    for (int i = 0; i <= LinkCodec.MAX_ROUTES; i++) {
      many.put("n" + i, 1);
    }
    assertThrows(
        IllegalArgumentException.class, () -> LinkCodec.encode(new LinkFrame.Announce(many)));
    String big = "x".repeat(LinkCodec.MAX_PAYLOAD + 1);
    assertThrows(
        IllegalArgumentException.class,
        () -> LinkCodec.encode(new LinkFrame.Packet("a", "b", 1, 0, big)));
  }

  @Test
  void largestAnnouncement_fitsAFrame() throws Exception {
    Map<String, Integer> many = new HashMap<>();
    for (int i = 0; i < LinkCodec.MAX_ROUTES; i++) {
      many.put(String.format("%064d", i), 15);
    }
    byte[] frame = LinkCodec.encode(new LinkFrame.Announce(many));
    assertTrue(frame.length - 4 <= LinkCodec.MAX_FRAME, "frame of " + frame.length);
    assertEquals(many, ((LinkFrame.Announce) roundTrip(new LinkFrame.Announce(many))).routes());
    assertEquals(frame.length - 4, ByteBuffer.wrap(frame).getInt());
  }
}
