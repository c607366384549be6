package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame and message codec: round trips, every bound, malformed input. */
class Sv2CodecTest {
  private static final BigInteger MAX_U256 = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
  private static final Bytes32 HASH =
      Bytes32.fromDisplayHex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");

  static List<Sv2Message> everyMessage() {
    return List.of(
        new Sv2Message.SetupConnection(0, 2, 2, 5, "pool.example", 3333, "v", "hw", "fw", "id"),
        new Sv2Message.SetupConnectionSuccess(2, 0),
        new Sv2Message.SetupConnectionError(2, "unsupported-feature-flags"),
        new Sv2Message.OpenStandardMiningChannel(7, "worker.1", 1.5e12f, MAX_U256),
        new Sv2Message.OpenStandardMiningChannelSuccess(
            7, 0xffffffffL, BigInteger.ONE.shiftLeft(252), "00112233aabbccdd", 0),
        new Sv2Message.OpenMiningChannelError(7, "max-target-out-of-range"),
        new Sv2Message.NewMiningJob(1, 2, OptionalLong.empty(), 0x20000000L, HASH),
        new Sv2Message.NewMiningJob(1, 3, OptionalLong.of(1700000000L), 0x20000000L, HASH),
        new Sv2Message.CloseChannel(1, "bye"),
        new Sv2Message.SubmitSharesStandard(1, 2, 3, 0xffffffffL, 1700000000L, 0x20002000L),
        new Sv2Message.SubmitSharesSuccess(1, 9, 1, Long.MAX_VALUE),
        new Sv2Message.SubmitSharesError(1, 9, "difficulty-too-low"),
        new Sv2Message.SetNewPrevHash(1, 2, HASH, 1700000000L, 0x207fffffL));
  }

  private static Frame reread(byte[] wire) throws Exception {
    return Frame.read(new ByteArrayInputStream(wire), Frame.MAX_PAYLOAD).orElseThrow();
  }

  @Test
  void roundTrip_everyMessage_decodesToAnEqualMessage() throws Exception {
    for (Sv2Message m : everyMessage()) {
      Frame f = reread(m.frame().encode());
      assertEquals(Optional.of(m), Sv2Message.decode(f), m.toString());
    }
  }

  @Test
  void frame_header_littleEndianWithChannelMsgBitAsTheSpecDefines() {
    byte[] wire = new Sv2Message.SubmitSharesStandard(1, 2, 3, 4, 5, 6).frame().encode();
    assertEquals(6 + 24, wire.length);
    assertArrayEquals(
        new byte[] {0x00, (byte) 0x80, 0x1a, 24, 0, 0}, java.util.Arrays.copyOf(wire, 6));
    assertArrayEquals(new byte[] {1, 0, 0, 0}, java.util.Arrays.copyOfRange(wire, 6, 10));
    byte[] job = new Sv2Message.NewMiningJob(1, 2, OptionalLong.empty(), 3, HASH).frame().encode();
    assertArrayEquals(new byte[] {0x00, 0x00, 0x15, 45, 0, 0}, java.util.Arrays.copyOf(job, 6));
  }

  @Test
  void u256_littleEndian() throws Exception {
    byte[] wire =
        new Sv2Message.OpenStandardMiningChannel(1, "", 0f, BigInteger.ONE).frame().encode();
    // request_id 4, empty string 1, f32 4: the U256 starts at 6 + 9
    assertEquals(1, wire[15]);
    assertEquals(0, wire[15 + 31]);
    assertEquals(HASH.toString(), HexFormat.of().formatHex(HASH.bytes()));
    assertTrue(HASH.toString().endsWith("00000000"), "internal order: the zeros at the end");
  }

  @Test
  void bounds_str0255AndB032AndIntegers_refusedOnEncode() {
    String s255 = "x".repeat(255);
    new Sv2Message.SetupConnectionError(0, s255).frame();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Sv2Message.SetupConnectionError(0, s255 + "x").frame());
    assertTrue(e.getMessage().contains("256 bytes is over 255"), e.getMessage());
    new Sv2Message.OpenStandardMiningChannelSuccess(1, 1, BigInteger.ONE, "00".repeat(32), 0)
        .frame();
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Sv2Message.OpenStandardMiningChannelSuccess(
                    1, 1, BigInteger.ONE, "00".repeat(33), 0)
                .frame());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Sv2Message.SubmitSharesError(1L << 32, 0, "").frame());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Sv2Message.SetupConnection(256, 2, 2, 0, "", 0, "", "", "", "").frame());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Sv2Message.OpenStandardMiningChannel(1, "", 0f, MAX_U256.add(BigInteger.ONE))
                .frame());
  }

  @Test
  void read_payloadOverTheLimit_refusedBeforeReading() {
    byte[] header = {0, 0, 0x10, 0x01, 0x10, 0x00}; // 4097 bytes announced
    MalformedFrameException e =
        assertThrows(
            MalformedFrameException.class,
            () -> Frame.read(new ByteArrayInputStream(header), Frame.MAX_PAYLOAD));
    assertTrue(e.getMessage().contains("4097 bytes, over the limit of 4096"), e.getMessage());
  }

  @Test
  void read_payloadAtTheLimit_read() throws Exception {
    byte[] wire = new Frame(0, 0x7f, new byte[Frame.MAX_PAYLOAD]).encode();
    assertEquals(Frame.MAX_PAYLOAD, reread(wire).length());
  }

  @Test
  void read_truncated_eofNamesWhere() throws Exception {
    assertEquals(
        Optional.empty(), Frame.read(new ByteArrayInputStream(new byte[0]), Frame.MAX_PAYLOAD));
    assertThrows(
        EOFException.class,
        () -> Frame.read(new ByteArrayInputStream(new byte[] {0, 0, 1}), Frame.MAX_PAYLOAD));
    assertThrows(
        EOFException.class,
        () ->
            Frame.read(
                new ByteArrayInputStream(new byte[] {0, 0, 1, 10, 0, 0, 1, 2}), Frame.MAX_PAYLOAD));
  }

  @Test
  void decode_missingField_namesTheMessageAndField() {
    byte[] full = new Sv2Message.SubmitSharesStandard(1, 2, 3, 4, 5, 6).frame().payload();
    Frame cut = new Frame(0x8000, 0x1a, java.util.Arrays.copyOf(full, 22));
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> Sv2Message.decode(cut));
    assertEquals("SubmitSharesStandard.version: 4 bytes needed, 2 left", e.getMessage());
  }

  @Test
  void decode_trailingBytes_refused() {
    byte[] full = new Sv2Message.SetupConnectionSuccess(2, 0).frame().payload();
    Frame longer = new Frame(0, 0x01, java.util.Arrays.copyOf(full, full.length + 1));
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> Sv2Message.decode(longer));
    assertEquals("SetupConnection.Success: 1 bytes after the last field", e.getMessage());
  }

  @Test
  void decode_b032Over32AndOptionOver1_refused() {
    byte[] p = new byte[4 + 4 + 32 + 1 + 33 + 4];
    p[40] = 33;
    MalformedFrameException e =
        assertThrows(MalformedFrameException.class, () -> Sv2Message.decode(new Frame(0, 0x11, p)));
    assertTrue(e.getMessage().contains("extranonce_prefix: B0_32 length 33 is over 32"));
    byte[] job = new Sv2Message.NewMiningJob(1, 2, OptionalLong.empty(), 3, HASH).frame().payload();
    job[8] = 2;
    e =
        assertThrows(
            MalformedFrameException.class, () -> Sv2Message.decode(new Frame(0, 0x15, job)));
    assertTrue(e.getMessage().contains("min_ntime: OPTION count 2 is over 1"), e.getMessage());
  }

  @Test
  void decode_strLengthBeyondThePayload_refused() {
    byte[] p = {5, 'a', 'b'}; // SetupConnection.Error flags missing: use CloseChannel instead
    byte[] close = new byte[4 + 3];
    System.arraycopy(p, 0, close, 4, 3);
    MalformedFrameException e =
        assertThrows(
            MalformedFrameException.class, () -> Sv2Message.decode(new Frame(0x8000, 0x18, close)));
    assertEquals("CloseChannel.reason_code: 5 bytes needed, 2 left", e.getMessage());
  }

  @Test
  void decode_unknownTypeOrExtension_ignored() throws Exception {
    assertEquals(Optional.empty(), Sv2Message.decode(new Frame(0, 0x77, new byte[3])));
    assertEquals(Optional.empty(), Sv2Message.decode(new Frame(0x4001, 0x00, new byte[3])));
  }

  @Test
  void decode_randomPayloads_onlyMalformedFrameExceptions() {
    Random r = new Random(42);
    int[] types = {0x00, 0x01, 0x02, 0x10, 0x11, 0x12, 0x15, 0x18, 0x1a, 0x1c, 0x1d, 0x20};
    for (int i = 0; i < 20_000; i++) {
      byte[] p = new byte[r.nextInt(120)];
      r.nextBytes(p);
      Frame f = new Frame(0, types[i % types.length], p);
      try {
        Sv2Message.decode(f);
      } catch (MalformedFrameException expected) {
        // the only failure a miner's bytes may cause
      }
    }
  }

  /**
   * docs/modules.md: a frame holds at most 4,096 bytes, and the largest message a miner sends of
   * those this pool implements is under 1,300: SetupConnection with every string at its 255-byte
   * bound (1 + 2 + 2 + 4 + 256 + 2 + 4 × 256).
   */
  @Test
  void largestMinerMessages_atTheirBounds_underThe1300BytesTheDocsSay() throws Exception {
    String s255 = "s".repeat(255);
    Sv2Message setup =
        new Sv2Message.SetupConnection(0, 2, 2, 0, s255, 3333, s255, s255, s255, s255);
    Sv2Message open =
        new Sv2Message.OpenStandardMiningChannel(
            0xffffffffL, s255, 1f, BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE));
    Sv2Message close = new Sv2Message.CloseChannel(0xffffffffL, s255);
    Sv2Message share = new Sv2Message.SubmitSharesStandard(1, 2, 3, 4, 5, 6);

    assertEquals(1291, setup.frame().payload().length);
    assertEquals(296, open.frame().payload().length);
    assertEquals(260, close.frame().payload().length);
    assertEquals(24, share.frame().payload().length);
    for (Sv2Message m : List.of(setup, open, close, share)) {
      byte[] wire = m.frame().encode();
      assertTrue(wire.length - Frame.HEADER_BYTES < 1300, m.getClass().getSimpleName());
      Frame back =
          Frame.read(new java.io.ByteArrayInputStream(wire), Frame.MAX_PAYLOAD).orElseThrow();
      assertEquals(m, Sv2Message.decode(back).orElseThrow());
    }
  }
}
