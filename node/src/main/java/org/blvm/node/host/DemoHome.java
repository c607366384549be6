package org.blvm.node.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo's home directory. The demo deletes only what it made itself: it uses a directory that
 * does not exist yet or is empty, and marks it with {@link #MARKER}; on the next run it clears only
 * its own entries ({@link #ENTRIES}) in a marked directory (an older demo's work directory, marked
 * {@link #OLD_MARKER}, counts as marked). A directory that is not empty and holds no marker is
 * refused, and nothing in it is touched.
 */
final class DemoHome {
  /** The file the demo writes into a home it took. */
  static final String MARKER = ".blvm-demo-home";

  /** The marker of an older demo's work directory (its entries are among {@link #ENTRIES}). */
  static final String OLD_MARKER = ".blvm-demo-work-dir";

  /** What the demo lays out in its home: only these are ever deleted. */
  static final List<String> ENTRIES =
      List.of("modules", "data", "state", "run", "tmp", "keys", "policy.toml", "node.toml");

  private DemoHome() {}

  /** Thrown for a directory the demo will not use; nothing was changed. */
  static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }

  /**
   * Makes {@code dir} ready for a run: creates and marks it when it does not exist or is empty;
   * when it is marked, deletes the entries of a previous run (and nothing else).
   *
   * @throws RefusedException when {@code dir} is not a directory, or is not empty and unmarked
   */
  static void prepare(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      mark(dir);
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new RefusedException("--home " + dir + " exists and is not a directory");
    }
    if (Files.isRegularFile(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)
        || Files.isRegularFile(dir.resolve(OLD_MARKER), LinkOption.NOFOLLOW_LINKS)) {
      for (String entry : ENTRIES) {
        deleteTree(dir.resolve(entry));
      }
      mark(dir);
      return;
    }
    if (!isEmpty(dir)) {
      throw new RefusedException(
          "--home "
              + dir
              + " is not empty and was not made by the demo (it has no "
              + MARKER
              + " file); the demo deletes nothing it did not make: name a new or empty directory,"
              + " or delete this one yourself");
    }
    mark(dir);
  }

  private static void mark(Path dir) throws IOException {
    Files.writeString(
        dir.resolve(MARKER),
        "made by blvm-node --demo: on its next run it deletes "
            + String.join(", ", ENTRIES)
            + " here, and nothing else\n");
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      return !ds.iterator().hasNext();
    }
  }

  /** Deletes {@code root} and everything below it; symbolic links are deleted, never followed. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
