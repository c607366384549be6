package org.blvm.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The read end of a pipe as a stream. One reader at a time; close it from the reading thread (or
 * once reading has returned -1): closing a descriptor another thread is blocked on could let the
 * number be reused under that read.
 */
final class FdInputStream extends InputStream {
  private final int fd;
  private final AtomicBoolean closed = new AtomicBoolean();

  FdInputStream(int fd) {
    this.fd = fd;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed.get()) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    byte[] buf = off == 0 ? b : new byte[len];
    int n = Libc.read(fd, buf, Math.min(len, b.length - off));
    if (n == 0) {
      return -1;
    }
    if (buf != b) {
      System.arraycopy(buf, 0, b, off, n);
    }
    return n;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      Libc.closeQuietly(fd);
    }
  }
}
