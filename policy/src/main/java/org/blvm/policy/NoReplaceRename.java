package org.blvm.policy;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Renames a directory into place without ever replacing anything at the target, even something
 * created there between a check and the rename (a plain {@code rename(2)} replaces an empty
 * directory): {@code renameat2(..., RENAME_NOREPLACE)} where the C library and the filesystem
 * support it; otherwise the target is first created by this process with an exclusive {@code mkdir}
 * (which fails when anything is there) and the source renamed over that empty directory of its own,
 * so that only a directory this call created is ever replaced.
 */
final class NoReplaceRename {
  private static final int AT_FDCWD = -100;
  private static final int RENAME_NOREPLACE = 1;
  private static final int EEXIST = 17;
  private static final int EINVAL = 22;
  private static final int ENOSYS = 38;
  private static final int ENOTEMPTY = 39;

  interface C extends Library {
    int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags)
        throws LastErrorException;
  }

  /** The C library's {@code renameat2}, or null when it cannot be called here. */
  private static final C LIBC = load();

  private NoReplaceRename() {}

  private static C load() {
    try {
      return Native.load("c", C.class); // a missing symbol shows at the first call
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /**
   * Renames {@code from} to {@code to} (same filesystem), never replacing what is at {@code to}.
   *
   * @throws FileAlreadyExistsException when anything exists at {@code to}; it is left untouched
   */
  static void move(Path from, Path to) throws IOException {
    if (LIBC != null) {
      try {
        LIBC.renameat2(AT_FDCWD, from.toString(), AT_FDCWD, to.toString(), RENAME_NOREPLACE);
        return;
      } catch (LastErrorException e) {
        int errno = e.getErrorCode();
        if (errno == EEXIST || errno == ENOTEMPTY) {
          throw new FileAlreadyExistsException(to.toString(), null, "exists");
        }
        if (errno != EINVAL && errno != ENOSYS) {
          throw new IOException(
              "cannot rename " + from + " to " + to + ": errno " + Integer.toString(errno));
        }
        // the kernel or the filesystem does not know the flag: the fallback below
      } catch (UnsatisfiedLinkError e) {
        // no renameat2 in this C library: the fallback below
      }
    }
    claimThenRename(from, to);
  }

  /** The fallback of {@link #move}: an exclusive {@code mkdir} of the target, then a rename. */
  static void claimThenRename(Path from, Path to) throws IOException {
    Files.createDirectory(to); // FileAlreadyExistsException when anything is there
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      try {
        Files.delete(to); // ours, unless something was put in it meanwhile
      } catch (IOException notEmpty) {
        e.addSuppressed(notEmpty);
      }
      throw e;
    }
  }
}
