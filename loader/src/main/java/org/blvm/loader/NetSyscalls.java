package org.blvm.loader;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Every libc call the loader makes itself, in one place: {@code send(2)} of a direct response write
 * ({@link SocketSend}) and the TCP sockets of the network broker ({@code socket}, {@code connect},
 * {@code bind}, {@code listen}, {@code setsockopt}, {@code getsockname}, {@code close}). Nothing
 * JNA-typed leaves this class; errors are {@link SyscallException}s carrying the errno. When libc
 * cannot be linked, {@link #available()} is false: responses are then always queued and the broker
 * answers every request {@code UNAVAILABLE}.
 */
final class NetSyscalls {
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_REUSEADDR = 2;
  private static final int SO_SNDTIMEO = 21;

  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int EINPROGRESS = 115;

  private static final boolean AVAILABLE = link();

  private NetSyscalls() {}

  private static boolean link() {
    try {
      Native.register(NetSyscalls.class, "c");
      return true;
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, SecurityException …
      System.getLogger("blvm.loader.connection")
          .log(
              System.Logger.Level.INFO,
              "libc is not available through JNA ({0}); responses are always queued and the"
                  + " network broker is off",
              t.toString());
      return false;
    }
  }

  static boolean available() {
    return AVAILABLE;
  }

  // ------------------------------------------------------------------ libc (direct mapping)

  private static native long send(int fd, byte[] buf, long len, int flags)
      throws LastErrorException;

  private static native int socket(int domain, int type, int protocol) throws LastErrorException;

  private static native int connect(int fd, byte[] addr, int len) throws LastErrorException;

  private static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

  private static native int listen(int fd, int backlog) throws LastErrorException;

  private static native int setsockopt(int fd, int level, int name, byte[] value, int len)
      throws LastErrorException;

  private static native int getsockname(int fd, byte[] addr, int[] len) throws LastErrorException;

  private static native int close(int fd) throws LastErrorException;

  private static native int dup(int fd) throws LastErrorException;

  // ------------------------------------------------------------------ calls

  /** A failed call: what was called and the errno. */
  static final class SyscallException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    SyscallException(String call, int errno, String text) {
      super(call + ": " + text);
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  private static SyscallException failed(String call, LastErrorException e) {
    return new SyscallException(call, e.getErrorCode(), describe(e.getErrorCode()));
  }

  /** A short text for the errnos the broker meets; others by number. */
  static String describe(int errno) {
    switch (errno) {
      case 13:
        return "permission denied (EACCES)";
      case 98:
        return "address already in use (EADDRINUSE)";
      case 99:
        return "address not available on this host (EADDRNOTAVAIL)";
      case 101:
        return "network unreachable (ENETUNREACH)";
      case 104:
        return "connection reset (ECONNRESET)";
      case 110:
        return "timed out (ETIMEDOUT)";
      case 111:
        return "connection refused (ECONNREFUSED)";
      case 113:
        return "no route to host (EHOSTUNREACH)";
      case EINPROGRESS:
        return "did not complete in time (EINPROGRESS)";
      case EINTR:
        return "interrupted (EINTR)";
      case 24:
        return "too many open files (EMFILE)";
      case 97:
        return "address family not supported (EAFNOSUPPORT)";
      default:
        return "errno " + errno;
    }
  }

  private static void requireLinked() throws SyscallException {
    if (!AVAILABLE) {
      throw new SyscallException("libc", 0, "not linked");
    }
  }

  /** {@code send(2)} of the whole of {@code buf}: the bytes sent. */
  static long send(int fd, byte[] buf, int flags) throws SyscallException {
    requireLinked();
    try {
      return send(fd, buf, buf.length, flags);
    } catch (LastErrorException e) {
      throw failed("send", e);
    }
  }

  /** A new TCP socket (close-on-exec) of the address's family. */
  static int tcpSocket(InetAddress a) throws SyscallException {
    requireLinked();
    try {
      return socket(a instanceof Inet6Address ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw failed("socket", e);
    }
  }

  /**
   * Connects {@code fd} to {@code a:port}, giving up after {@code timeoutMs} ({@code SO_SNDTIMEO}
   * bounds a blocking connect; the timeout is cleared again before returning, so the module's sends
   * never inherit it).
   */
  static void connect(int fd, InetAddress a, int port, long timeoutMs) throws SyscallException {
    requireLinked();
    setTimeval(fd, SO_SNDTIMEO, Math.max(1, timeoutMs));
    byte[] addr = sockaddr(a, port);
    try {
      connect(fd, addr, addr.length);
    } catch (LastErrorException e) {
      throw failed("connect", e);
    }
    setTimeval(fd, SO_SNDTIMEO, 0);
  }

  /** Binds {@code fd} to {@code a:port} (with SO_REUSEADDR) and listens. */
  static void bindAndListen(int fd, InetAddress a, int port, int backlog) throws SyscallException {
    requireLinked();
    byte[] one = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(1).array();
    try {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, one.length);
    } catch (LastErrorException e) {
      throw failed("setsockopt(SO_REUSEADDR)", e);
    }
    byte[] addr = sockaddr(a, port);
    try {
      bind(fd, addr, addr.length);
    } catch (LastErrorException e) {
      throw failed("bind", e);
    }
    try {
      listen(fd, backlog);
    } catch (LastErrorException e) {
      throw failed("listen", e);
    }
  }

  /** The port {@code fd} is bound to. */
  static int localPort(int fd) throws SyscallException {
    requireLinked();
    byte[] addr = new byte[28];
    int[] len = {addr.length};
    try {
      getsockname(fd, addr, len);
    } catch (LastErrorException e) {
      throw failed("getsockname", e);
    }
    return ((addr[2] & 0xff) << 8) | (addr[3] & 0xff);
  }

  /** A second descriptor for the socket behind {@code fd}. */
  static int duplicate(int fd) throws SyscallException {
    requireLinked();
    try {
      return dup(fd);
    } catch (LastErrorException e) {
      throw failed("dup", e);
    }
  }

  /** Closes {@code fd}; a failure is not reported (the descriptor is gone either way). */
  static void closeQuietly(int fd) {
    if (AVAILABLE && fd >= 0) {
      try {
        close(fd);
      } catch (LastErrorException e) {
        // EINTR or EBADF: on Linux the descriptor is released in both cases
      }
    }
  }

  private static void setTimeval(int fd, int option, long millis) throws SyscallException {
    byte[] tv =
        ByteBuffer.allocate(16)
            .order(ByteOrder.nativeOrder())
            .putLong(millis / 1000)
            .putLong((millis % 1000) * 1000)
            .array();
    try {
      setsockopt(fd, SOL_SOCKET, option, tv, tv.length);
    } catch (LastErrorException e) {
      throw failed("setsockopt", e);
    }
  }

  /** {@code struct sockaddr_in} or {@code sockaddr_in6} (family in host order, port big-endian). */
  static byte[] sockaddr(InetAddress a, int port) {
    byte[] ip = a.getAddress();
    ByteBuffer b;
    if (a instanceof Inet4Address) {
      b = ByteBuffer.allocate(16);
      b.order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
      b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).put(ip);
    } else {
      b = ByteBuffer.allocate(28);
      b.order(ByteOrder.nativeOrder()).putShort((short) AF_INET6);
      b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).put(ip).putInt(0);
    }
    return b.array();
  }

  /** The address of a {@code sockaddr} written by {@link #sockaddr} (for tests). */
  static InetAddress address(byte[] sockaddr) throws UnknownHostException {
    int family = ByteBuffer.wrap(sockaddr, 0, 2).order(ByteOrder.nativeOrder()).getShort() & 0xffff;
    byte[] ip = new byte[family == AF_INET ? 4 : 16];
    System.arraycopy(sockaddr, family == AF_INET ? 4 : 8, ip, 0, ip.length);
    return InetAddress.getByAddress(ip);
  }
}
