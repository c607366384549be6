package org.blvm.loader;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The libc calls that measure a module's data directory: {@code openat}, {@code fdopendir}, {@code
 * readdir}, {@code closedir}, {@code close} and {@code statx}. Names stay bytes (never decoded, so
 * a name that is not UTF-8 is measured like any other), every directory is opened relative to its
 * parent's descriptor with {@code O_NOFOLLOW} (no path length limit, no symlink is ever followed,
 * even one swapped in between a stat and the open), and every entry is measured with {@code statx}
 * and {@code AT_SYMLINK_NOFOLLOW}, whose result layout is the same on every architecture. Nothing
 * JNA-typed leaves this class except the opaque {@link Dir}.
 *
 * <p>Open flags differ between architectures; {@link #available()} is true on x86_64 and aarch64
 * (and others with the generic values), false elsewhere or when libc cannot be linked.
 */
final class DataFs {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EACCES = 13;
  static final int ENOTDIR = 20;
  static final int ELOOP = 40;

  private static final int AT_FDCWD = -100;
  private static final int AT_SYMLINK_NOFOLLOW = 0x100;
  private static final int AT_NO_AUTOMOUNT = 0x800;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int AT_STATX_DONT_SYNC = 0x4000;
  private static final int STATX_TYPE = 0x1;
  private static final int STATX_NLINK = 0x4;
  private static final int STATX_INO = 0x100;
  private static final int STATX_BLOCKS = 0x400;
  private static final int STATX_MASK = STATX_TYPE | STATX_NLINK | STATX_INO | STATX_BLOCKS;
  private static final int STATX_SIZE_OF = 256;
  private static final int O_CLOEXEC = 02000000;
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;

  private static final int OPEN_DIR_FLAGS;
  private static final String UNAVAILABLE;

  static {
    String arch = System.getProperty("os.arch", "");
    int flags;
    if (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("riscv64")) {
      flags = 0200000 /* O_DIRECTORY */ | 0400000 /* O_NOFOLLOW */;
    } else if (arch.equals("aarch64")) {
      flags = 040000 /* O_DIRECTORY */ | 0100000 /* O_NOFOLLOW */;
    } else {
      flags = -1;
    }
    String why = flags < 0 ? "no open(2) flag values for architecture " + arch : null;
    if (why == null) {
      try {
        Native.register(DataFs.class, "c");
      } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError …
        why = "libc cannot be linked through JNA: " + t;
      }
    }
    OPEN_DIR_FLAGS = flags < 0 ? 0 : flags | O_CLOEXEC;
    UNAVAILABLE = why;
  }

  private DataFs() {}

  private static native int openat(int dirfd, byte[] path, int flags, int mode)
      throws LastErrorException;

  private static native Pointer fdopendir(int fd) throws LastErrorException;

  private static native Pointer readdir(Pointer dir) throws LastErrorException;

  private static native int closedir(Pointer dir) throws LastErrorException;

  private static native int dirfd(Pointer dir) throws LastErrorException;

  private static native int close(int fd) throws LastErrorException;

  private static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf)
      throws LastErrorException;

  /** Null when the calls can be made; otherwise why not. */
  static String unavailable() {
    return UNAVAILABLE;
  }

  static boolean available() {
    return UNAVAILABLE == null;
  }

  /** A failed call: the errno and what was being done. */
  static final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    FsException(String what, LastErrorException e) {
      super(what + ": " + e.getMessage());
      this.errno = e.getErrorCode();
    }

    /** The same failure, with more said about where. */
    FsException(String message, FsException cause) {
      super(message, cause);
      this.errno = cause.errno;
    }

    int errno() {
      return errno;
    }
  }

  /**
   * What {@code statx} says about one entry.
   *
   * @param mode the file type and permission bits
   * @param nlink the number of hard links
   * @param inode the inode number
   * @param blocks allocated 512-byte blocks ({@code st_blocks})
   * @param dev the device, as major &lt;&lt; 32 | minor
   */
  record Stat(int mode, long nlink, long inode, long blocks, long dev) {
    boolean isDirectory() {
      return (mode & S_IFMT) == S_IFDIR;
    }

    boolean isRegularFile() {
      return (mode & S_IFMT) == S_IFREG;
    }

    long bytes() {
      return blocks * 512;
    }
  }

  /** An open directory stream (a {@code DIR *} and its descriptor). Closed once. */
  static final class Dir implements AutoCloseable {
    private Pointer dir;

    private Dir(Pointer dir) {
      this.dir = dir;
    }

    /**
     * The next entry's name (never "." or ".."), or null at the end.
     *
     * @throws FsException when reading the directory fails
     */
    byte[] next() throws FsException {
      while (true) {
        Pointer e;
        try {
          e = readdir(dir);
        } catch (LastErrorException x) {
          throw new FsException("readdir", x);
        }
        if (e == null) {
          return null;
        }
        // struct dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, then the NUL-terminated name
        int length = (int) e.indexOf(19, (byte) 0); // counted from offset 19
        byte[] name = e.getByteArray(19, length);
        if (!isDotOrDotDot(name)) {
          return name;
        }
      }
    }

    /** {@code statx} of an entry of this directory, not following a symlink. */
    Stat stat(byte[] name) throws FsException {
      return statAt(fd(), cString(name), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
    }

    /**
     * Opens the subdirectory {@code name}; fails ({@code ELOOP}, {@code ENOTDIR}) on anything else.
     */
    Dir open(byte[] name) throws FsException {
      return openAt(fd(), cString(name));
    }

    private int fd() throws FsException {
      try {
        return dirfd(dir);
      } catch (LastErrorException x) {
        throw new FsException("dirfd", x);
      }
    }

    @Override
    public void close() {
      if (dir != null) {
        try {
          closedir(dir);
        } catch (LastErrorException ignored) {
          // the descriptor is released either way
        }
        dir = null;
      }
    }
  }

  /** Opens the directory at absolute {@code path} (which must not be a symlink). */
  static Dir open(String path) throws FsException {
    return openAt(AT_FDCWD, cString(path.getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code statx} of {@code path}, following a symlink (used for {@code /proc/PID/fd/N}). */
  static Stat statFollowing(String path) throws FsException {
    return statAt(AT_FDCWD, cString(path.getBytes(StandardCharsets.UTF_8)), AT_NO_AUTOMOUNT);
  }

  /** {@code statx} of {@code path} itself (a symlink is not followed). */
  static Stat statNoFollow(String path) throws FsException {
    return statAt(
        AT_FDCWD,
        cString(path.getBytes(StandardCharsets.UTF_8)),
        AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
  }

  /** The statx of an open directory itself. */
  static Stat stat(Dir d) throws FsException {
    return statAt(d.fd(), new byte[] {0}, AT_EMPTY_PATH | AT_NO_AUTOMOUNT);
  }

  private static Dir openAt(int dirfd, byte[] cName) throws FsException {
    if (UNAVAILABLE != null) {
      throw new IllegalStateException(UNAVAILABLE);
    }
    int fd;
    try {
      fd = openat(dirfd, cName, OPEN_DIR_FLAGS, 0);
    } catch (LastErrorException x) {
      throw new FsException("openat", x);
    }
    try {
      return new Dir(fdopendir(fd));
    } catch (LastErrorException x) {
      try {
        close(fd);
      } catch (LastErrorException ignored) {
        // nothing more to release
      }
      throw new FsException("fdopendir", x);
    }
  }

  private static Stat statAt(int dirfd, byte[] cName, int flags) throws FsException {
    if (UNAVAILABLE != null) {
      throw new IllegalStateException(UNAVAILABLE);
    }
    byte[] buf = new byte[STATX_SIZE_OF];
    try {
      statx(dirfd, cName, flags | AT_STATX_DONT_SYNC, STATX_MASK, buf);
    } catch (LastErrorException x) {
      throw new FsException("statx", x);
    }
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    long dev = ((long) b.getInt(136) << 32) | (b.getInt(140) & 0xffffffffL);
    return new Stat(
        b.getShort(28) & 0xffff, b.getInt(16) & 0xffffffffL, b.getLong(32), b.getLong(48), dev);
  }

  private static boolean isDotOrDotDot(byte[] n) {
    return (n.length == 1 && n[0] == '.') || (n.length == 2 && n[0] == '.' && n[1] == '.');
  }

  private static byte[] cString(byte[] name) {
    byte[] c = new byte[name.length + 1];
    System.arraycopy(name, 0, c, 0, name.length);
    return c;
  }
}
