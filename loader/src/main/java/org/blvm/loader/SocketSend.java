package org.blvm.loader;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * The one libc call the loader makes on a module's socket itself: {@code send(2)} with {@code
 * MSG_DONTWAIT | MSG_NOSIGNAL}, which never waits and never raises {@code SIGPIPE}. Nothing
 * JNA-typed leaves this class. When libc cannot be linked, {@link #available()} is false and
 * callers never write directly (they queue, as without this class).
 *
 * <p>Why a frame is sent whole or not at all: {@code unix_stream_sendmsg} cuts what it is given
 * into buffers of at most {@code SO_SNDBUF / 2 - 64} bytes and, without waiting, allocates each
 * only while the socket's unread bytes are below {@code SO_SNDBUF}; a frame that fits in one buffer
 * is therefore queued whole, or refused with {@code EAGAIN} before any byte is sent. {@link
 * Connection} sends directly only frames of at most {@code SO_SNDBUF / 8} bytes, and treats a
 * partial send, should a kernel ever make one, as a broken connection. {@code
 * ConnectionDirectWriteTest} checks it against the running kernel with a peer that never reads.
 *
 * <p>The caller must keep {@code fd} from being closed during the call (a closed descriptor's
 * number is reused by the next open file): see {@code Connection}'s descriptor guard.
 */
final class SocketSend {
  private static final int MSG_DONTWAIT = 0x40;
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;

  /** {@link #send} found no room: nothing was sent. */
  static final long WOULD_BLOCK = -1;

  private static final boolean AVAILABLE = link();

  private SocketSend() {}

  private static boolean link() {
    try {
      Native.register(SocketSend.class, "c");
      return true;
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, SecurityException …
      System.getLogger("blvm.loader.connection")
          .log(
              System.Logger.Level.INFO,
              "send(2) is not available through JNA ({0}); responses are always queued",
              t.toString());
      return false;
    }
  }

  /** {@code ssize_t send(int sockfd, const void *buf, size_t len, int flags)}. */
  private static native long send(int fd, byte[] buf, long len, int flags)
      throws LastErrorException;

  static boolean available() {
    return AVAILABLE;
  }

  /**
   * Sends {@code frame} without waiting: the number of bytes sent, or {@link #WOULD_BLOCK} when the
   * socket has no room now. Throws for any other failure (the peer is gone, the descriptor is bad).
   */
  static long sendNow(int fd, byte[] frame) throws SendException {
    if (!AVAILABLE) {
      return WOULD_BLOCK;
    }
    try {
      return send(fd, frame, frame.length, MSG_DONTWAIT | MSG_NOSIGNAL);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EAGAIN || e.getErrorCode() == EINTR) {
        return WOULD_BLOCK;
      }
      throw new SendException("send(2) failed: " + e.getMessage(), e);
    }
  }

  /** A send failed for a reason other than a full socket. */
  static final class SendException extends Exception {
    private static final long serialVersionUID = 1L;

    SendException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
