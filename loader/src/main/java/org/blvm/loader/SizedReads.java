package org.blvm.loader;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A socket's input stream read with requests sized to what arrives: a read asks for at most 64 KiB,
 * and for twice what the last read brought when that was less than it asked for (at least {@link
 * #SMALL_READ}). The Unix socket's stream copies as many bytes into the caller's array as a read
 * asks for, whatever arrived, so a buffered reader that asks for 64 KiB to take one request of a
 * few hundred bytes copies 64 KiB; a read that fills its request (a burst, a large frame) raises
 * the next one to 64 KiB again. Used by one reader thread.
 */
final class SizedReads extends FilterInputStream {
  static final int MAX_READ = 64 * 1024;
  static final int SMALL_READ = 4 * 1024;

  private int readSize = SMALL_READ;

  SizedReads(InputStream in) {
    super(in);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int ask = Math.min(len, readSize);
    int n = in.read(b, off, ask);
    if (n > 0) {
      readSize = n == ask ? MAX_READ : Math.max(SMALL_READ, Math.min(MAX_READ, 2 * n));
    }
    return n;
  }
}
