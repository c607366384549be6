package org.blvm.sandbox;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * Every libc call the sandbox makes, in one place. Nothing JNA-typed leaves this package; callers
 * get {@link NativeException}s carrying the errno.
 *
 * <p>Over 400 lines: one declaration and one errno-mapping wrapper per libc call, kept together.
 */
final class Libc {
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_CREAT = 0100;
  static final int O_APPEND = 02000;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;
  static final int O_DIRECTORY = 0200000;
  static final int O_NOFOLLOW = 0400000;
  static final int F_DUPFD_CLOEXEC = 1030;
  static final int F_GETFL = 3;
  static final int F_SETFL = 4;
  static final int O_NONBLOCK = 04000;
  static final int EAGAIN = 11;
  static final int MFD_CLOEXEC = 1;
  static final int SEEK_SET = 0;
  static final short POSIX_SPAWN_SETPGROUP = 0x02;
  static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  static final int WNOHANG = 1;
  static final int SIGKILL = 9;
  static final int SIGTERM = 15;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int ECHILD = 10;

  static final int RLIMIT_CPU = 0;
  static final int RLIMIT_FSIZE = 1;
  static final int RLIMIT_CORE = 4;
  static final int RLIMIT_NPROC = 6;
  static final int RLIMIT_NOFILE = 7;
  static final int RLIMIT_AS = 9;

  /** Generous upper bounds of the glibc x86_64/aarch64 opaque types (80, 336 and 128 bytes). */
  private static final int FILE_ACTIONS_SIZE = 256;

  private static final int SPAWNATTR_SIZE = 1024;
  private static final int SIGSET_SIZE = 128;

  interface C extends Library {
    int posix_spawn(
        IntByReference pid,
        String path,
        Pointer fileActions,
        Pointer attr,
        String[] argv,
        String[] envp);

    int posix_spawn_file_actions_init(Pointer fa);

    int posix_spawn_file_actions_destroy(Pointer fa);

    int posix_spawn_file_actions_adddup2(Pointer fa, int fd, int newfd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fa, int from);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_destroy(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    int sigemptyset(Pointer set) throws LastErrorException;

    int sigfillset(Pointer set) throws LastErrorException;

    int pipe2(int[] fds, int flags) throws LastErrorException;

    int open(String path, int flags, int mode) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long read(int fd, byte[] buf, long count) throws LastErrorException;

    long write(int fd, byte[] buf, long count) throws LastErrorException;

    long lseek(int fd, long offset, int whence) throws LastErrorException;

    int memfd_create(String name, int flags) throws LastErrorException;

    int waitpid(int pid, IntByReference status, int options) throws LastErrorException;

    int kill(int pid, int sig) throws LastErrorException;

    int prlimit(int pid, int resource, Pointer newLimit, Pointer oldLimit)
        throws LastErrorException;

    int geteuid();

    int getegid();

    int fchown(int fd, int uid, int gid) throws LastErrorException;

    long syscall(long number, long a, long b, long c) throws LastErrorException;

    long syscall(long number, long size, int[] list) throws LastErrorException;

    long syscall(long number, IntByReference a, IntByReference b, IntByReference c)
        throws LastErrorException;
  }

  private static final C C_LIB = Native.load("c", C.class);

  /**
   * Held for the JVM's life. JNA's cleanup thread ends when nothing is registered with it and is
   * started again by whichever thread next allocates native memory (any call with a string or an
   * array does), and a thread inherits its creator's ids: holding one allocation keeps the thread
   * that the first user of this class started, never one started by a launcher thread that changed
   * its ids ({@link IdentityThreads}).
   */
  @SuppressWarnings("unused")
  private static final Memory KEEP_CLEANER = new Memory(1);

  private Libc() {}

  /** Fails when libc lacks a function the sandbox needs (checked once at preflight). */
  static void requireSymbols() {
    com.sun.jna.NativeLibrary lib = com.sun.jna.NativeLibrary.getInstance("c");
    for (String f :
        new String[] {
          "posix_spawn",
          "posix_spawn_file_actions_addclosefrom_np",
          "prlimit",
          "memfd_create",
          "pipe2",
          "waitpid"
        }) {
      lib.getFunction(f); // throws UnsatisfiedLinkError
    }
  }

  static int[] pipe() throws NativeException {
    int[] fds = new int[2];
    try {
      C_LIB.pipe2(fds, O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new NativeException("pipe2", e.getErrorCode());
    }
    return fds;
  }

  static int open(String path, int flags, int mode) throws NativeException {
    try {
      return C_LIB.open(path, flags | O_CLOEXEC, mode);
    } catch (LastErrorException e) {
      throw new NativeException("open " + path, e.getErrorCode());
    }
  }

  /** Duplicates {@code fd} to the lowest free descriptor >= {@code min}, close-on-exec. */
  static int dupAbove(int fd, int min) throws NativeException {
    try {
      return C_LIB.fcntl(fd, F_DUPFD_CLOEXEC, min);
    } catch (LastErrorException e) {
      throw new NativeException("fcntl(F_DUPFD_CLOEXEC)", e.getErrorCode());
    }
  }

  /**
   * Reads what {@code fd} holds now, at most {@code max} bytes, without waiting (the descriptor is
   * left non-blocking).
   */
  static byte[] readAvailable(int fd, int max) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      C_LIB.fcntl(fd, F_SETFL, C_LIB.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
      byte[] buf = new byte[4096];
      while (out.size() < max) {
        long n = C_LIB.read(fd, buf, Math.min(buf.length, max - out.size()));
        if (n <= 0) {
          break;
        }
        out.write(buf, 0, (int) n);
      }
    } catch (LastErrorException e) {
      // EAGAIN: nothing more now
    }
    return out.toByteArray();
  }

  static void closeQuietly(int fd) {
    if (fd < 0) {
      return;
    }
    try {
      C_LIB.close(fd);
    } catch (LastErrorException e) {
      // nothing sensible to do
    }
  }

  /** Reads up to {@code buf.length} bytes; returns 0 at end of file. Retries EINTR. */
  static int read(int fd, byte[] buf) throws NativeException {
    return read(fd, buf, buf.length);
  }

  /** Reads up to {@code len} bytes into the start of {@code buf}; 0 at end of file. */
  static int read(int fd, byte[] buf, int len) throws NativeException {
    while (true) {
      try {
        return (int) C_LIB.read(fd, buf, Math.min(len, buf.length));
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EINTR) {
          throw new NativeException("read", e.getErrorCode());
        }
      }
    }
  }

  static void write(int fd, byte[] buf) throws NativeException {
    try {
      long n = C_LIB.write(fd, buf, buf.length);
      if (n != buf.length) {
        throw new NativeException("short write (" + n + " of " + buf.length + ")", 0);
      }
    } catch (LastErrorException e) {
      throw new NativeException("write", e.getErrorCode());
    }
  }

  static void rewind(int fd) throws NativeException {
    try {
      C_LIB.lseek(fd, 0, SEEK_SET);
    } catch (LastErrorException e) {
      throw new NativeException("lseek", e.getErrorCode());
    }
  }

  static final int MFD_ALLOW_SEALING = 2;
  static final int F_ADD_SEALS = 1033;
  static final int F_GET_SEALS = 1034;

  /** F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE: the content can never change. */
  static final int SEALED = 1 | 2 | 4 | 8;

  /**
   * A memfd holding {@code content}, positioned at its start, sealed: nobody holding it (or opening
   * it again through /proc) can write, grow, shrink or unseal it.
   */
  static int sealedMemfd(String name, byte[] content) throws NativeException {
    int fd;
    try {
      fd = C_LIB.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    } catch (LastErrorException e) {
      throw new NativeException("memfd_create", e.getErrorCode());
    }
    boolean ok = false;
    try {
      write(fd, content);
      try {
        C_LIB.fcntl(fd, F_ADD_SEALS, SEALED);
      } catch (LastErrorException e) {
        throw new NativeException("fcntl(F_ADD_SEALS)", e.getErrorCode());
      }
      rewind(fd);
      ok = true;
      return fd;
    } finally {
      if (!ok) {
        closeQuietly(fd);
      }
    }
  }

  /** The seals of a memfd (F_GET_SEALS). */
  static int seals(int fd) throws NativeException {
    try {
      return C_LIB.fcntl(fd, F_GET_SEALS, 0);
    } catch (LastErrorException e) {
      throw new NativeException("fcntl(F_GET_SEALS)", e.getErrorCode());
    }
  }

  static int memfd(String name) throws NativeException {
    try {
      return C_LIB.memfd_create(name, MFD_CLOEXEC);
    } catch (LastErrorException e) {
      throw new NativeException("memfd_create", e.getErrorCode());
    }
  }

  static void fchown(int fd, int uid, int gid) throws NativeException {
    try {
      C_LIB.fchown(fd, uid, gid);
    } catch (LastErrorException e) {
      throw new NativeException("fchown", e.getErrorCode());
    }
  }

  static int geteuid() {
    return C_LIB.geteuid();
  }

  static int getegid() {
    return C_LIB.getegid();
  }

  /**
   * Spawns {@code path} with {@code argv} and {@code envp}. {@code childFds[i]} becomes descriptor
   * {@code i} in the child (-1: leave closed); every other descriptor is closed in the child
   * (closefrom). Signal mask emptied and every signal reset to its default.
   *
   * @return the child's pid
   */
  static int spawn(String path, String[] argv, String[] envp, int[] childFds)
      throws NativeException {
    // Move every source above the target range first, so no dup2 overwrites a later source.
    int[] high = new int[childFds.length];
    java.util.Arrays.fill(high, -1);
    Memory fa = new Memory(FILE_ACTIONS_SIZE);
    Memory attr = new Memory(SPAWNATTR_SIZE);
    Memory sigs = new Memory(SIGSET_SIZE);
    fa.clear();
    attr.clear();
    try {
      for (int i = 0; i < childFds.length; i++) {
        if (childFds[i] >= 0) {
          high[i] = dupAbove(childFds[i], childFds.length + 64);
        }
      }
      check("posix_spawn_file_actions_init", C_LIB.posix_spawn_file_actions_init(fa));
      check("posix_spawnattr_init", C_LIB.posix_spawnattr_init(attr));
      try {
        for (int i = 0; i < childFds.length; i++) {
          if (high[i] >= 0) {
            check(
                "posix_spawn_file_actions_adddup2",
                C_LIB.posix_spawn_file_actions_adddup2(fa, high[i], i));
          }
        }
        check(
            "posix_spawn_file_actions_addclosefrom_np",
            C_LIB.posix_spawn_file_actions_addclosefrom_np(fa, childFds.length));
        C_LIB.sigemptyset(sigs);
        check("posix_spawnattr_setsigmask", C_LIB.posix_spawnattr_setsigmask(attr, sigs));
        C_LIB.sigfillset(sigs);
        check("posix_spawnattr_setsigdefault", C_LIB.posix_spawnattr_setsigdefault(attr, sigs));
        // A process group of its own (pgroup 0: the child's pid): a Ctrl-C at the node's terminal
        // (SIGINT to the foreground group) reaches the node, which stops its modules gracefully,
        // and not bwrap, which would take its sandbox down at once.
        check(
            "posix_spawnattr_setflags",
            C_LIB.posix_spawnattr_setflags(
                attr,
                (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP)));
        IntByReference pid = new IntByReference();
        check("posix_spawn " + path, C_LIB.posix_spawn(pid, path, fa, attr, argv, envp));
        return pid.getValue();
      } finally {
        C_LIB.posix_spawn_file_actions_destroy(fa);
        C_LIB.posix_spawnattr_destroy(attr);
      }
    } catch (LastErrorException e) {
      throw new NativeException("sigset", e.getErrorCode());
    } finally {
      for (int fd : high) {
        closeQuietly(fd);
      }
    }
  }

  private static void check(String what, int rc) throws NativeException {
    if (rc != 0) {
      throw new NativeException(what, rc);
    }
  }

  /** Blocks until {@code pid} ends; returns its raw wait status. */
  static int waitFor(int pid) throws NativeException {
    IntByReference status = new IntByReference();
    while (true) {
      try {
        C_LIB.waitpid(pid, status, 0);
        return status.getValue();
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EINTR) {
          throw new NativeException("waitpid " + pid, e.getErrorCode());
        }
      }
    }
  }

  /** Sends a signal; false when the process is already gone. */
  static boolean kill(int pid, int sig) {
    try {
      C_LIB.kill(pid, sig);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }

  /** Sets soft and hard limit of {@code resource} on {@code pid}, then reads them back. */
  static long[] prlimit(int pid, int resource, long soft, long hard) throws NativeException {
    Memory in = new Memory(16);
    in.setLong(0, soft);
    in.setLong(8, hard);
    Memory out = new Memory(16);
    try {
      C_LIB.prlimit(pid, resource, in, null);
      C_LIB.prlimit(pid, resource, null, out);
    } catch (LastErrorException e) {
      throw new NativeException("prlimit(" + pid + ", " + resource + ")", e.getErrorCode());
    }
    return new long[] {out.getLong(0), out.getLong(8)};
  }

  /** Exit code as a shell reports it: the status, or 128 + signal. */
  static int exitCode(int waitStatus) {
    int sig = waitStatus & 0x7f;
    return sig == 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
  }

  /**
   * The raw numbers of setgroups, setresuid, getresuid, setresgid, getresgid on this architecture,
   * or null where they are not known here. Raw, because glibc's wrappers change every thread of the
   * process; the system calls change only the calling thread's credentials.
   */
  private static final long[] ID_CALLS =
      switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> new long[] {116, 117, 118, 119, 120};
        case "aarch64" -> new long[] {159, 147, 148, 149, 150};
        default -> null;
      };

  /** Whether {@link #becomeOnThisThread} can work on this architecture. */
  static boolean threadIdentitySupported() {
    return ID_CALLS != null;
  }

  /**
   * Changes the calling thread's credentials, and only its own, for good: supplementary groups
   * {@code groups}, then real, effective and saved gid, then uid (as the uids leave 0 the kernel
   * clears the thread's capabilities), then reads the uids and gids back.
   */
  static void becomeOnThisThread(int uid, int gid, int[] groups) throws NativeException {
    if (ID_CALLS == null) {
      throw new NativeException("per-thread identity on " + System.getProperty("os.arch"), 0);
    }
    IntByReference r = new IntByReference();
    IntByReference ef = new IntByReference();
    IntByReference sv = new IntByReference();
    boolean same;
    try {
      C_LIB.syscall(ID_CALLS[0], groups.length, groups.length == 0 ? null : groups);
      C_LIB.syscall(ID_CALLS[3], gid, gid, gid);
      C_LIB.syscall(ID_CALLS[1], uid, uid, uid);
      C_LIB.syscall(ID_CALLS[2], r, ef, sv);
      same = r.getValue() == uid && ef.getValue() == uid && sv.getValue() == uid;
      C_LIB.syscall(ID_CALLS[4], r, ef, sv);
    } catch (LastErrorException e) {
      throw new NativeException("changing the launcher thread's ids", e.getErrorCode());
    }
    if (!same || r.getValue() != gid || ef.getValue() != gid || sv.getValue() != gid) {
      throw new NativeException("the launcher thread's ids read back differ", 0);
    }
  }
}
