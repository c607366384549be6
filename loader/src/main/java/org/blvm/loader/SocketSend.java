package org.blvm.loader;

/**
 * The direct write of a response: {@code send(2)} with {@code MSG_DONTWAIT | MSG_NOSIGNAL} on the
 * module's socket, which never waits and never raises {@code SIGPIPE} (libc is reached through
 * {@link NetSyscalls}). When libc cannot be linked, {@link #available()} is false and callers never
 * write directly (they queue, as without this class).
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

  /** {@link #sendNow} found no room: nothing was sent. */
  static final long WOULD_BLOCK = -1;

  private SocketSend() {}

  static boolean available() {
    return NetSyscalls.available();
  }

  /**
   * Sends {@code frame} without waiting: the number of bytes sent, or {@link #WOULD_BLOCK} when the
   * socket has no room now. Throws for any other failure (the peer is gone, the descriptor is bad).
   */
  static long sendNow(int fd, byte[] frame) throws SendException {
    if (!available()) {
      return WOULD_BLOCK;
    }
    try {
      return NetSyscalls.send(fd, frame, MSG_DONTWAIT | MSG_NOSIGNAL);
    } catch (NetSyscalls.SyscallException e) {
      if (e.errno() == NetSyscalls.EAGAIN || e.errno() == NetSyscalls.EINTR) {
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
