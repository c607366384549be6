package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FramesTest {
  private static final int MAX = 16 << 20;

  private static InputStream in(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return new ByteArrayInputStream(b);
  }

  @Test
  void read_emptyStream_returnsNull() throws Exception {
    assertNull(Frames.read(in(), MAX));
  }

  @Test
  void read_afterLastFrame_returnsNull() throws Exception {
    InputStream s = in(0, 0, 0, 1, 0xA0);
    assertArrayEquals(new byte[] {(byte) 0xA0}, Frames.read(s, MAX));
    assertNull(Frames.read(s, MAX));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void read_truncatedHeader_throwsTruncatedFrame(int headerBytes) {
    InputStream s = new ByteArrayInputStream(new byte[headerBytes]);
    ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.read(s, MAX));
    assertEquals(ProtocolException.Reason.TRUNCATED_FRAME, e.reason());
    assertTrue(e.getMessage().contains(headerBytes + " of the 4 length bytes"), e.getMessage());
  }

  @Test
  void read_truncatedPayload_throwsTruncatedFrame() {
    InputStream s = in(0, 0, 0, 10, 1, 2, 3);
    ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.read(s, MAX));
    assertEquals(ProtocolException.Reason.TRUNCATED_FRAME, e.reason());
    assertTrue(e.getMessage().contains("3 of 10 payload bytes"), e.getMessage());
  }

  @Test
  void read_lengthZero_throwsEmptyFrame() {
    ProtocolException e =
        assertThrows(ProtocolException.class, () -> Frames.read(in(0, 0, 0, 0, 0xA0), MAX));
    assertEquals(ProtocolException.Reason.EMPTY_FRAME, e.reason());
    assertTrue(e.getMessage().contains("length is 0"), e.getMessage());
  }

  @Test
  void read_lengthOneAboveMax_throwsFrameTooLarge() {
    ProtocolException e =
        assertThrows(ProtocolException.class, () -> Frames.read(in(0, 0, 0, 65, 1, 2), 64));
    assertEquals(ProtocolException.Reason.FRAME_TOO_LARGE, e.reason());
    assertTrue(e.getMessage().contains("65 exceeds the maximum of 64"), e.getMessage());
  }

  @Test
  void read_lengthExactlyMax_returnsPayload() throws Exception {
    byte[] framed = Frames.frame(new byte[64]);
    assertEquals(64, Frames.read(new ByteArrayInputStream(framed), 64).length);
  }

  @ParameterizedTest
  @ValueSource(longs = {0xFFFFFFFFL, 0x80000000L, 0x7FFFFFFFL, (16L << 20) + 1})
  void read_hugeLengthWithFewBytes_throwsFrameTooLargeWithoutAllocating(long length) {
    // a stream that would hand out its few bytes and then report an error if read further: the
    // length must be rejected from the header alone, before any read or allocation of the payload
    byte[] header = {
      (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
    };
    InputStream s = new FailAfter(header, 3);
    ProtocolException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(2),
            () -> assertThrows(ProtocolException.class, () -> Frames.read(s, MAX)));
    assertEquals(ProtocolException.Reason.FRAME_TOO_LARGE, e.reason());
    assertTrue(e.getMessage().contains("frame length " + length), e.getMessage());
  }

  @Test
  void read_lengthWithinMaxButStreamShort_throwsTruncatedQuickly() {
    // the length is allowed (16 MiB) but the peer sends 3 bytes and hangs up
    InputStream s = in(0x01, 0x00, 0x00, 0x00, 1, 2, 3);
    ProtocolException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(2),
            () -> assertThrows(ProtocolException.class, () -> Frames.read(s, MAX)));
    assertEquals(ProtocolException.Reason.TRUNCATED_FRAME, e.reason());
    assertTrue(e.getMessage().contains("3 of 16777216"), e.getMessage());
  }

  @Test
  void writeThenRead_severalFramesOnOneStream_roundTrip() throws Exception {
    byte[][] payloads = {{1}, new byte[300], {(byte) 0xFF, 0, 7}, new byte[70_000]};
    Arrays.fill(payloads[3], (byte) 0x5A);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : payloads) {
      Frames.write(out, p);
    }
    InputStream s = new ByteArrayInputStream(out.toByteArray());
    for (byte[] p : payloads) {
      assertArrayEquals(p, Frames.read(s, MAX));
    }
    assertNull(Frames.read(s, MAX));
  }

  @Test
  void frame_prefixesBigEndianLength() {
    byte[] framed = Frames.frame(new byte[0x010203]);
    assertArrayEquals(new byte[] {0, 1, 2, 3}, Arrays.copyOf(framed, 4));
    assertEquals(4 + 0x010203, framed.length);
  }

  /** Serves the given bytes, then throws if anyone reads more than {@code extra} further bytes. */
  private static final class FailAfter extends InputStream {
    private final byte[] data;
    private int pos;
    private int extra;

    FailAfter(byte[] data, int extra) {
      this.data = data;
      this.extra = extra;
    }

    @Override
    public int read() throws IOException {
      if (pos < data.length) {
        return data[pos++] & 0xFF;
      }
      if (extra-- > 0) {
        return 0;
      }
      throw new IOException("read past the header: the payload should not have been read");
    }
  }
}
