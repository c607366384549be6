package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates directories only their owner can enter (0700), refusing symlinks. A directory that is
 * already as wanted costs one {@code lstat}; the mode is set only when it differs.
 */
final class PrivateDirs {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private PrivateDirs() {}

  static void create(Path dir) throws IOException {
    Integer mode = mode(dir);
    if (mode == null) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      mode = mode(dir);
      if (mode == null) {
        throw new IOException(dir + " vanished right after it was created");
      }
    }
    if ((mode & S_IFMT) == S_IFLNK) {
      throw new IOException(dir + " is a symbolic link; refusing to use it");
    }
    if ((mode & S_IFMT) != S_IFDIR) {
      throw new IOException(dir + " exists and is not a directory");
    }
    if ((mode & 07777) == 0700) {
      return;
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (!now.equals(OWNER_ONLY)) {
      throw new IOException(
          dir + " has permissions " + PosixFilePermissions.toString(now) + ", expected rwx------");
    }
  }

  /** {@code st_mode} of {@code dir} itself (never a link's target), or null when it is missing. */
  private static Integer mode(Path dir) throws IOException {
    try {
      return (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
