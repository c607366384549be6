package org.blvm.policy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The rule for directories the loader owns (its runtime, data and state roots): a root the loader
 * finds is checked and never changed; a root that does not exist yet is created by the loader,
 * which then owns it. Everything the loader changes lies below such a root.
 *
 * <p>A root must be a directory (not a symbolic link) owned by the loader's user and not writable
 * by group or others. Its parent must be owned by root or the loader's user and writable by nobody
 * else (a sticky, world-writable directory such as /tmp is refused as a parent too: anyone could
 * have created the root there first). Every further ancestor must be owned by root or the loader's
 * user and not writable by others, except a sticky one whose entry on the path belongs to root or
 * the loader's user. When sandboxes run under other uids, the root and every ancestor must also let
 * their group in ({@code enterGid}).
 */
public final class LoaderRoot {
  private static final int S_ISVTX = 01000;
  private static final int GROUP_WRITE = 020;
  private static final int OTHER_WRITE = 02;
  private static final int GROUP_EXEC = 010;
  private static final int OTHER_EXEC = 01;

  private LoaderRoot() {}

  /**
   * Checks {@code dir}, or creates it when it does not exist (mode 0700; with {@code enterGid}:
   * that group and mode 0710, so sandboxes can enter but not list it).
   *
   * @param setting the setting naming the root, for messages
   * @param enterGid the group sandboxes carry to enter the loader's directories, or -1
   * @return true when the directory was created here
   * @throws UnsafeRootException naming the path, what is wrong and the fix
   */
  public static boolean prepare(Path dir, String setting, int enterGid) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    int me = effectiveUid();
    boolean exists = Files.exists(root, LinkOption.NOFOLLOW_LINKS);
    if (exists) {
      checkRoot(root, setting, me);
    }
    Path parent = root.getParent();
    if (parent == null) {
      throw new UnsafeRootException(setting, root, "is the file system root", "choose a directory");
    }
    if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
      throw new UnsafeRootException(
          setting, parent, "(the parent of " + root + ") is not a directory", "mkdir -p " + parent);
    }
    checkAncestors(root, setting, me);
    if (enterGid >= 0) {
      requireEnterable(exists ? root : parent, enterGid, setting);
    }
    if (exists) {
      return false;
    }
    try {
      Files.createDirectory(
          root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      checkRoot(root, setting, me); // made by someone else meanwhile: checked, never taken over
      return false;
    }
    if (enterGid >= 0) {
      Files.setAttribute(root, "unix:gid", enterGid, LinkOption.NOFOLLOW_LINKS);
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x---"));
    }
    return true;
  }

  /**
   * Checks that a process with group {@code gid} (and an unrelated uid) can enter {@code dir} and
   * every ancestor: each grants search to others, or to that group.
   *
   * @throws UnsafeRootException naming the first that does not, with the fix
   */
  public static void requireEnterable(Path dir, int gid, String setting) throws IOException {
    requireEnterable(dir, gid, setting, new java.util.HashSet<>());
  }

  /**
   * {@link #requireEnterable(Path, int, String)}, skipping the directories in {@code entered} (the
   * ancestors of other paths already checked in the same pass) and adding those it checks; one
   * {@code lstat} per directory.
   */
  public static void requireEnterable(
      Path dir, int gid, String setting, java.util.Set<Path> entered) throws IOException {
    for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
      if (entered.contains(p)) {
        return; // it and every ancestor of it passed
      }
      java.util.Map<String, Object> a =
          Files.readAttributes(p, "unix:mode,gid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode") & 07777;
      int group = (Integer) a.get("gid");
      if ((mode & OTHER_EXEC) == 0 && !(group == gid && (mode & GROUP_EXEC) != 0)) {
        throw new UnsafeRootException(
            setting,
            p,
            "cannot be entered by the sandboxes (group "
                + gid
                + "): mode "
                + octal(mode)
                + ", group "
                + group,
            "chgrp " + gid + " " + p + " && chmod g+x " + p + " (or chmod o+x " + p + ")");
      }
      entered.add(p);
    }
  }

  private static void checkRoot(Path root, String setting, int me) throws IOException {
    if (Files.isSymbolicLink(root)) {
      throw new UnsafeRootException(
          setting,
          root,
          "is a symbolic link",
          "name the directory itself (" + root.toRealPath() + ") or another one");
    }
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new UnsafeRootException(
          setting, root, "exists and is not a directory", "remove it or choose another path");
    }
    int owner = owner(root);
    if (owner != me) {
      throw new UnsafeRootException(
          setting,
          root,
          "is owned by uid " + owner + ", not by the loader's uid " + me,
          "chown " + me + " " + root + " (or choose a directory the loader's user owns)");
    }
    int mode = mode(root);
    if ((mode & (GROUP_WRITE | OTHER_WRITE)) != 0) {
      throw new UnsafeRootException(
          setting,
          root,
          "is writable by " + writers(mode) + " (mode " + octal(mode) + ")",
          "chmod go-w " + root);
    }
  }

  private static void checkAncestors(Path root, String setting, int me) throws IOException {
    Path child = root;
    for (Path p = root.getParent(); p != null; child = p, p = p.getParent()) {
      boolean parent = p.equals(root.getParent());
      int owner = owner(p);
      int mode = mode(p);
      if (owner != 0 && owner != me) {
        throw new UnsafeRootException(
            setting,
            p,
            "(an ancestor of "
                + root
                + ") is owned by uid "
                + owner
                + ", who could replace what lies below it",
            "choose a root whose ancestors belong to root or to uid " + me);
      }
      int writable = mode & (OTHER_WRITE | GROUP_WRITE);
      int group = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      if (writable == GROUP_WRITE && group == 0) {
        writable = 0; // root's group
      }
      if (writable == 0) {
        continue;
      }
      if (parent) {
        throw new UnsafeRootException(
            setting,
            p,
            "(the parent of "
                + root
                + ") is writable by "
                + writers(mode)
                + " (mode "
                + octal(mode)
                + "): anyone could have made or replaced the root there",
            "mkdir -m 0700 " + p.resolve("blvm") + " and put the root inside it");
      }
      boolean sticky = (mode & S_ISVTX) != 0;
      int childOwner = owner(child);
      if (!sticky || (childOwner != 0 && childOwner != me)) {
        throw new UnsafeRootException(
            setting,
            p,
            "(an ancestor of "
                + root
                + ") is writable by "
                + writers(mode)
                + " (mode "
                + octal(mode)
                + ")"
                + (sticky ? " and " + child + " belongs to uid " + childOwner : ""),
            sticky ? "choose a root below a directory you own" : "chmod go-w " + p);
      }
    }
  }

  private static String writers(int mode) {
    boolean g = (mode & GROUP_WRITE) != 0;
    boolean o = (mode & OTHER_WRITE) != 0;
    return g && o ? "group and others" : g ? "its group" : "others";
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  private static int owner(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  private static String octal(int mode) {
    return String.format("%04o", mode);
  }

  /** The process's effective uid (Linux: /proc/self/status). */
  static int effectiveUid() throws IOException {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
        }
      }
    } catch (NoSuchFileException e) {
      throw new IOException("cannot tell the loader's uid: /proc/self/status is missing", e);
    }
    throw new IOException("cannot tell the loader's uid: no Uid line in /proc/self/status");
  }
}
