package org.blvm.sdk;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Checks, before connecting, that the socket lives in a directory only this user can write: a real
 * directory (not a symbolic link), owned by this process's uid, mode exactly 0700. Otherwise
 * another local user could have put an impostor socket there and would receive the token.
 */
final class SocketDirectory {
  private static final Set<PosixFilePermission> PRIVATE =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);

  private SocketDirectory() {}

  static void verifyPrivate(Path socket) throws ModuleConnectException {
    verifyPrivate(socket, new UnixSystem().getUid());
  }

  static void verifyPrivate(Path socket, long expectedUid) throws ModuleConnectException {
    Path dir = socket.toAbsolutePath().getParent();
    if (dir == null) {
      throw unsafe("the socket path " + socket + " has no parent directory");
    }
    PosixFileAttributes attrs;
    int uid;
    try {
      attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw unsafe("the socket directory " + dir + " does not exist");
    } catch (IOException | UnsupportedOperationException e) {
      throw unsafe("cannot read the owner and mode of the socket directory " + dir + ": " + e);
    }
    if (attrs.isSymbolicLink()) {
      throw unsafe(
          "the socket directory " + dir + " is a symbolic link; expected a real directory");
    }
    if (!attrs.isDirectory()) {
      throw unsafe("the socket directory " + dir + " is not a directory");
    }
    List<String> problems = new ArrayList<>();
    if (uid != expectedUid) {
      problems.add("owned by uid " + uid + ", expected this process's uid " + expectedUid);
    }
    if (!attrs.permissions().equals(PRIVATE)) {
      problems.add("mode " + octal(attrs.permissions()) + ", expected 0700");
    }
    if (Files.isSymbolicLink(socket)) {
      problems.add("the socket " + socket.getFileName() + " is a symbolic link");
    }
    if (!problems.isEmpty()) {
      throw unsafe(
          "the socket directory "
              + dir
              + " is not private: "
              + String.join("; ", problems)
              + " (refusing to send the token)");
    }
  }

  static String octal(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= 1 << (8 - p.ordinal());
    }
    return String.format("0%03o", mode);
  }

  private static ModuleConnectException unsafe(String message) {
    return new ModuleConnectException(
        ModuleConnectException.Reason.UNSAFE_SOCKET_DIRECTORY, message);
  }
}
