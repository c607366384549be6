package org.blvm.loader;

import java.io.FileDescriptor;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * A descriptor the loader hands to a module with a response (SCM_RIGHTS): the loader owns it until
 * the frame that carries it was written, and then closes its copy. {@link #close} runs once,
 * whoever calls it first: the writer after sending, or whoever drops the frame (a closed or
 * overflowing connection).
 */
final class PassedDescriptor {
  private final int fd;
  private final AtomicBoolean closed = new AtomicBoolean();

  PassedDescriptor(int fd) {
    if (fd < 0) {
      throw new IllegalArgumentException("not a descriptor: " + fd);
    }
    this.fd = fd;
  }

  int fd() {
    return fd;
  }

  /** The descriptor as junixsocket sends it ({@code setOutboundFileDescriptors}). */
  FileDescriptor fileDescriptor() throws IOException {
    if (closed.get()) {
      throw new IOException("descriptor " + fd + " was closed before it was sent");
    }
    return FileDescriptorCast.unsafeUsing(fd).getFileDescriptor();
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Closes the loader's copy (once). */
  void close() {
    if (closed.compareAndSet(false, true)) {
      NetSyscalls.closeQuietly(fd);
    }
  }

  @Override
  public String toString() {
    return "descriptor " + fd + (closed.get() ? " (closed)" : "");
  }
}
