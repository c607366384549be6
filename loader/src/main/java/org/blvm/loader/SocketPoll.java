package org.blvm.loader;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one libc call the loader makes itself: {@code poll(2)} with a zero timeout, to ask whether a
 * socket write would block. Nothing JNA-typed leaves this class. When libc cannot be linked, {@link
 * #available()} is false and callers never write directly (they queue, as without this class).
 *
 * <p>Why this is enough to never block: on Linux an {@code AF_UNIX} stream socket reports {@code
 * POLLOUT} only while the bytes it has sent and its peer has not yet read (the kernel's {@code
 * sk_wmem_alloc}) are at most a quarter of {@code SO_SNDBUF}, and {@code send(2)} waits only when
 * that count has reached {@code SO_SNDBUF}. A single frame of at most {@code SO_SNDBUF / 8} bytes,
 * written right after {@code POLLOUT} by the only thread allowed to write at that moment, therefore
 * never waits, whatever the peer does. {@code ConnectionDirectWriteTest} checks it against the
 * running kernel with a peer that never reads.
 */
final class SocketPoll {
  private static final short POLLOUT = 0x004;
  private static final short POLLERR = 0x008;
  private static final short POLLHUP = 0x010;
  private static final short POLLNVAL = 0x020;

  private static final boolean AVAILABLE = link();

  private SocketPoll() {}

  private static boolean link() {
    try {
      Native.register(SocketPoll.class, "c");
      return true;
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, SecurityException …
      System.getLogger("blvm.loader.connection")
          .log(
              System.Logger.Level.INFO,
              "poll(2) is not available through JNA ({0}); responses are always queued",
              t.toString());
      return false;
    }
  }

  /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}; nfds_t is unsigned long. */
  private static native int poll(byte[] fds, long nfds, int timeout);

  static boolean available() {
    return AVAILABLE;
  }

  /**
   * True when the kernel reports {@code fd} writable right now (no error, no hang-up). Never waits.
   */
  static boolean writable(int fd) {
    if (!AVAILABLE) {
      return false;
    }
    // struct pollfd { int fd; short events; short revents; }, in the platform's byte order
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    b.putInt(0, fd).putShort(4, POLLOUT).putShort(6, (short) 0);
    byte[] fds = b.array();
    int n = poll(fds, 1, 0);
    if (n != 1) {
      return false;
    }
    short revents = ByteBuffer.wrap(fds).order(ByteOrder.nativeOrder()).getShort(6);
    return (revents & (POLLERR | POLLHUP | POLLNVAL)) == 0 && (revents & POLLOUT) != 0;
  }
}
