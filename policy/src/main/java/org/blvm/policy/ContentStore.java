package org.blvm.policy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The loader-owned, content-addressed module store: {@code <state>/store/trees/<tree digest>/}, one
 * read-only directory per verified module tree ({@link ModuleFiles#digest()}). A module directory
 * is read once into a private incoming directory, hashing while copying ({@link FileTreeReader}),
 * checked against the manifest's pins, read back, and only then renamed to its digest; the loader
 * runs and mounts that copy, so a file changed in the module directory after admission is never
 * executed or seen.
 *
 * <p>Modes: the store directories 0700, or 0710 with the sandbox group ({@link #allowEntry}) so
 * that bubblewrap, which resolves a bind source as the sandbox's user, can reach a tree by its name
 * without being able to list the store; each tree's directories and files 0555 (readable inside the
 * sandbox by the module's own uid).
 */
final class ContentStore {
  private static final Set<PosixFilePermission> READ_ONLY =
      PosixFilePermissions.fromString("r-xr-xr-x");

  private final Path stateDir;
  private final Path store;
  private final Path trees;
  private final boolean stateDirCreated;

  /** The group that may enter the store, or -1. */
  private volatile int enterGid = -1;

  /**
   * @param stateDirCreated whether this process created the state directory (then it may give it
   *     the sandbox group; one the operator made is only checked)
   */
  ContentStore(Path stateDir, boolean stateDirCreated) {
    this.stateDir = stateDir;
    this.store = stateDir.resolve("store");
    this.trees = store.resolve("trees");
    this.stateDirCreated = stateDirCreated;
  }

  /** A verified tree in the store (or, for a dry run, the module directory itself). */
  record Stored(Path root, ModuleFiles files) {}

  /**
   * Lets group {@code gid} enter the state directory and the store (mode 0710), so that sandboxes
   * of that group can bind a tree by its path. A state directory this process did not create must
   * already allow it.
   *
   * @throws AdmissionStateException naming the directory and the fix
   */
  void allowEntry(int gid) throws AdmissionStateException {
    try {
      if (stateDirCreated) {
        enterable(stateDir, gid);
      }
      LoaderRoot.requireEnterable(stateDir, gid, "stateDir");
      prepare(store, gid);
      prepare(trees, gid);
    } catch (UnsafeRootException e) {
      throw new AdmissionStateException(e.path(), e.getMessage(), e);
    } catch (IOException e) {
      throw new AdmissionStateException(store, "cannot let the sandboxes into the store: " + e, e);
    }
    enterGid = gid;
  }

  /**
   * Copies the module in {@code source} into the store, checking it against {@code expected} while
   * copying (null: take every file as found, for unsigned development modules), and returns the
   * stored tree.
   *
   * @param whole whether every file of the directory belongs to the module
   */
  Stored put(Path source, ModuleFiles expected, boolean whole, FileTreeReader.Observer observer)
      throws AdmissionException {
    try {
      prepare(store, enterGid);
      prepare(trees, enterGid);
    } catch (IOException e) {
      throw new AdmissionStateException(trees, "cannot create the module store: " + e, e);
    }
    if (expected != null) {
      Path existing = trees.resolve(expected.digest().hex());
      if (Files.isDirectory(existing, LinkOption.NOFOLLOW_LINKS)) {
        // Still read from the module directory: its files must match the pins too.
        FileTreeReader.read(source, expected, whole, null, observer);
        if (storedIntact(existing, expected)) {
          return new Stored(existing, expected);
        }
        remove(existing);
      }
    }
    Path incoming;
    try {
      incoming =
          Files.createTempDirectory(
              trees, ".incoming-", PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    } catch (IOException e) {
      throw new AdmissionStateException(trees, "cannot write the module store: " + e, e);
    }
    try {
      ModuleFiles files = FileTreeReader.read(source, expected, whole, incoming, observer);
      Path target = trees.resolve(files.digest().hex());
      try {
        makeReadOnly(incoming);
      } catch (IOException e) {
        throw new AdmissionStateException(incoming, "cannot seal the stored copy: " + e, e);
      }
      // Verify the copy as stored before it gets its name.
      if (!storedIntact(incoming, files)) {
        throw new AdmissionStateException(
            incoming, "the stored copy does not read back as tree " + files.digest());
      }
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        if (storedIntact(target, files)) {
          return new Stored(target, files); // stored meanwhile by another admission
        }
        remove(target);
      }
      try {
        Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
        StateFiles.fsyncDir(trees);
      } catch (FileAlreadyExistsException e) {
        if (storedIntact(target, files)) {
          return new Stored(target, files);
        }
        throw new AdmissionStateException(target, "a damaged tree is in the way: " + e, e);
      } catch (IOException e) {
        throw new AdmissionStateException(target, "cannot store the module: " + e, e);
      }
      return new Stored(target, files);
    } finally {
      if (Files.exists(incoming, LinkOption.NOFOLLOW_LINKS)) {
        try {
          remove(incoming);
        } catch (AdmissionStateException e) {
          // best effort: a leftover ".incoming-*" directory is never mounted or run
        }
      }
    }
  }

  /** Whether {@code root} holds exactly {@code files} (the store's own copy, re-read). */
  static boolean storedIntact(Path root, ModuleFiles files) {
    try {
      return FileTreeReader.read(root, files, true, null, FileTreeReader.Observer.NONE)
          .equals(files);
    } catch (AdmissionException e) {
      return false;
    }
  }

  /**
   * Creates {@code dir} 0700, or checks that it is a directory; then sets 0710 with the group
   * {@code gid} when it is not -1, else 0700 (each mode set directly, never passing through
   * another, so a launch resolving a tree meanwhile is not shut out).
   */
  private static void prepare(Path dir, int gid) throws IOException {
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(dir + " exists and is not a directory (symlinks are refused)", e);
      }
    }
    if (gid >= 0) {
      enterable(dir, gid);
    } else {
      Files.setPosixFilePermissions(dir, StateFiles.DIR_0700);
    }
  }

  private static void enterable(Path dir, int gid) throws IOException {
    Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
  }

  /** Every directory and file below {@code root} 0555, the deepest first. */
  private static void makeReadOnly(Path root) throws IOException {
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(all::add);
    }
    all.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path p : all) {
      if (!Files.isSymbolicLink(p)) {
        Files.setPosixFilePermissions(p, READ_ONLY);
      }
    }
  }

  /** Deletes a tree of the store (its directories are read-only: made writable first). */
  private static void remove(Path root) throws AdmissionStateException {
    try {
      List<Path> all = new ArrayList<>();
      try (Stream<Path> s = Files.walk(root)) {
        s.forEach(all::add);
      }
      for (Path p : all) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(p, StateFiles.DIR_0700);
        }
      }
      all.sort(Comparator.comparingInt(Path::getNameCount).reversed());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new AdmissionStateException(root, "cannot remove it from the module store: " + e, e);
    }
  }
}
