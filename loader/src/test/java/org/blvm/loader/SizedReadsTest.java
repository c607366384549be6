package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

final class SizedReadsTest {
  /** Records what each read asks for; hands out at most {@code chunks[i]} bytes on read i. */
  private static final class Recording extends InputStream {
    final List<Integer> asked = new ArrayList<>();
    private final byte[] data;
    private final int[] chunks;
    private int pos;

    Recording(byte[] data, int... chunks) {
      this.data = data;
      this.chunks = chunks;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("reads whole arrays only");
    }

    @Override
    public int read(byte[] b, int off, int len) {
      asked.add(len);
      if (pos == data.length) {
        return -1;
      }
      int n =
          Math.min(
              len,
              Math.min(data.length - pos, chunks[Math.min(asked.size() - 1, chunks.length - 1)]));
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  @Test
  void smallRequestsAfterSmallReads_64KiBWhileReadsFillTheirRequests_bytesUnchanged()
      throws Exception {
    byte[] data = new byte[300_000];
    new Random(3).nextBytes(data);
    Recording socket = new Recording(data, 200, 4096, 65_536, 65_536, 100, Integer.MAX_VALUE);
    InputStream in = new BufferedInputStream(new SizedReads(socket), 64 * 1024);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] chunk = new byte[150];
    int n;
    while ((n = in.read(chunk)) > 0) {
      got.write(chunk, 0, n);
    }
    assertArrayEquals(data, got.toByteArray());
    List<Integer> asked = socket.asked;
    assertEquals(SizedReads.SMALL_READ, asked.get(0), "first read: " + asked);
    assertEquals(SizedReads.SMALL_READ, asked.get(1), "after a read of 200 bytes: " + asked);
    assertEquals(
        SizedReads.MAX_READ, asked.get(2), "after a read that filled its request: " + asked);
    assertEquals(SizedReads.MAX_READ, asked.get(4), "while reads fill them: " + asked);
    assertEquals(SizedReads.SMALL_READ, asked.get(5), "after a read of 100 bytes: " + asked);
  }
}
