package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Creates directories only their owner can enter (0700), refusing symlinks. */
final class PrivateDirs {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private PrivateDirs() {}

  static void create(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new IOException(dir + " is a symbolic link; refusing to use it");
    }
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " exists and is not a directory");
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (!now.equals(OWNER_ONLY)) {
      throw new IOException(
          dir + " has permissions " + PosixFilePermissions.toString(now) + ", expected rwx------");
    }
  }
}
