package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.blvm.protocol.Frames;
import org.blvm.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

final class IncomingFramesTest {
  private static final int MAX = 1 << 20;

  /** Hands out the bytes in chunks of random size, with some reads finding nothing (0). */
  private static final class ChunkedChannel implements ReadableByteChannel {
    private final byte[] data;
    private final Random random;
    private int pos;

    ChunkedChannel(byte[] data, long seed) {
      this.data = data;
      this.random = new Random(seed);
    }

    @Override
    public int read(ByteBuffer dst) {
      if (pos == data.length) {
        return -1;
      }
      if (random.nextInt(4) == 0) {
        return 0; // nothing available right now
      }
      int n = Math.min(dst.remaining(), Math.min(data.length - pos, 1 + random.nextInt(100_000)));
      dst.put(data, pos, n);
      pos += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  private static List<byte[]> readAll(IncomingFrames in, ReadableByteChannel ch) throws Exception {
    List<byte[]> got = new ArrayList<>();
    while (true) {
      byte[] p = in.next();
      if (p != null) {
        got.add(p);
        continue;
      }
      if (in.readFrom(ch) < 0) {
        in.checkCleanEnd();
        return got;
      }
    }
  }

  @Test
  void framesOfEverySize_splitAnywhere_comeOutWhole() throws Exception {
    Random r = new Random(7);
    List<byte[]> sent = new ArrayList<>();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    int[] sizes = {1, 3, 4, 5, 200, 65_532, 65_536, 70_000, 300_000, MAX, 10, 1};
    for (int size : sizes) {
      byte[] p = new byte[size];
      r.nextBytes(p);
      sent.add(p);
      wire.write(Frames.frame(p));
    }
    for (long seed = 0; seed < 20; seed++) {
      List<byte[]> got =
          readAll(new IncomingFrames(MAX), new ChunkedChannel(wire.toByteArray(), seed));
      assertEquals(sent.size(), got.size());
      for (int i = 0; i < sent.size(); i++) {
        assertArrayEquals(sent.get(i), got.get(i), "frame " + i + " with seed " + seed);
      }
    }
  }

  @Test
  void zeroLength_tooLarge_andStreamEndingInsideAFrame_areProtocolErrors() throws Exception {
    IncomingFrames zero = new IncomingFrames(MAX);
    zero.readFrom(new ChunkedChannel(new byte[] {0, 0, 0, 0}, 1));
    ProtocolException e = assertThrows(ProtocolException.class, zero::next);
    assertEquals(ProtocolException.Reason.EMPTY_FRAME, e.reason());

    IncomingFrames big = new IncomingFrames(MAX);
    byte[] header = Frames.frame(new byte[1]);
    header[1] = 0x7f; // length far above MAX
    ChunkedChannel headerOnly = new ChunkedChannel(header, 2);
    while (big.readFrom(headerOnly) == 0) {
      // retry until the chunked channel hands something over
    }
    e = assertThrows(ProtocolException.class, big::next);
    assertEquals(ProtocolException.Reason.FRAME_TOO_LARGE, e.reason());

    IncomingFrames cut = new IncomingFrames(MAX);
    byte[] whole = Frames.frame(new byte[100]);
    byte[] half = java.util.Arrays.copyOf(whole, 50);
    e = assertThrows(ProtocolException.class, () -> readAll(cut, new ChunkedChannel(half, 3)));
    assertEquals(ProtocolException.Reason.TRUNCATED_FRAME, e.reason());

    IncomingFrames empty = new IncomingFrames(MAX);
    assertEquals(0, readAll(empty, new ChunkedChannel(new byte[0], 4)).size());
    assertNull(empty.next());
  }

  /** A channel that returns exactly the given reads, one per call. */
  private static ReadableByteChannel reads(byte[]... chunks) {
    return new ReadableByteChannel() {
      private int i;

      @Override
      public int read(ByteBuffer dst) {
        if (i == chunks.length) {
          return -1;
        }
        dst.put(chunks[i]);
        return chunks[i++].length;
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    };
  }

  private static byte[] frame(int payloadBytes) {
    return Frames.frame(new byte[payloadBytes]);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static java.io.FileDescriptor devNull() throws Exception {
    return new java.io.FileInputStream("/dev/null").getFD();
  }

  @Test
  void descriptors_belongToTheLastFrameBeginningInTheirRead_othersClosed() throws Exception {
    byte[] a = frame(10);
    byte[] b = frame(20);
    byte[] c = frame(5);
    // read 1: all of a and the first 6 bytes of b, with a descriptor (it came with b's first
    // byte); read 2: the rest of b; read 3: c, with a descriptor although c begins no such answer
    byte[] first = concat(a, java.util.Arrays.copyOf(b, 6));
    byte[] second = java.util.Arrays.copyOfRange(b, 6, b.length);
    IncomingFrames in = new IncomingFrames(MAX);
    ReadableByteChannel ch = reads(first, second, c);
    java.io.FileDescriptor fd1 = devNull();
    java.io.FileDescriptor fd2 = devNull();

    assertEquals(first.length, in.readFrom(ch));
    in.received(new java.io.FileDescriptor[] {fd1}, first.length);
    assertEquals(10, in.next().length);
    assertNull(in.takeDescriptors(), "a began in the read, but b began after it");
    assertNull(in.next());
    in.readFrom(ch);
    assertEquals(20, in.next().length);
    assertArrayEquals(new java.io.FileDescriptor[] {fd1}, in.takeDescriptors());

    in.readFrom(ch);
    in.received(new java.io.FileDescriptor[] {fd2}, c.length);
    assertEquals(5, in.next().length);
    // not taken by the router: closed when the next frame is taken or the connection closes
    in.closeDescriptors();
    assertEquals(false, fd2.valid());
    assertEquals(true, fd1.valid());
    IncomingFrames.closeAll(new java.io.FileDescriptor[] {fd1});
  }

  /**
   * The socket's stream copies as many bytes as a read asks for: a lone small answer is read with a
   * small request, a read that fills its request raises the next one to 64 KiB, and the request
   * shrinks again after reads that bring little.
   */
  @Test
  void readRequests_smallForSmallReads_64KiBWhileReadsFillThem() throws Exception {
    List<Integer> asked = new ArrayList<>();
    byte[] small = frame(150);
    byte[] big = frame(200_000);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.write(small);
    wire.write(big);
    wire.write(small);
    byte[] data = wire.toByteArray();
    int[] chunks = {small.length, 4096, 65_536, 65_536, Integer.MAX_VALUE};
    ReadableByteChannel ch =
        new ReadableByteChannel() {
          private int pos;
          private int i;

          @Override
          public int read(ByteBuffer dst) {
            asked.add(dst.remaining());
            int n =
                Math.min(
                    dst.remaining(),
                    Math.min(data.length - pos, chunks[Math.min(i++, chunks.length - 1)]));
            if (n == 0) {
              return -1;
            }
            dst.put(data, pos, n);
            pos += n;
            return n;
          }

          @Override
          public boolean isOpen() {
            return true;
          }

          @Override
          public void close() {}
        };
    IncomingFrames in = new IncomingFrames(MAX);
    List<byte[]> got = readAll(in, ch);
    assertEquals(3, got.size());
    assertEquals(IncomingFrames.SMALL_READ, asked.get(0), "first read: " + asked);
    assertEquals(IncomingFrames.SMALL_READ, asked.get(1), "after a lone small frame: " + asked);
    assertEquals(65_536, asked.get(2), "after a read that filled its request: " + asked);
    assertEquals(65_536, asked.get(3), "while reads fill their requests: " + asked);
    assertEquals(true, asked.stream().allMatch(a -> a <= 65_536), "never above 64 KiB: " + asked);
  }
}
