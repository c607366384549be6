package org.blvm.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Private directories and atomic, durable file replacement for the loader's own state. */
final class StateFiles {
  static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE_0600 = PosixFilePermissions.fromString("rw-------");

  private StateFiles() {}

  /**
   * Creates {@code dir} 0700, or forces an existing directory (not a symlink) to 0700. Only for
   * directories below a root the loader owns ({@link LoaderRoot}).
   */
  static void privateDir(Path dir) throws IOException {
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_0700));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(dir + " exists and is not a directory (symlinks are refused)");
      }
    }
    // Fails unless we own it; afterwards nobody else can add, remove or rename entries.
    Files.setPosixFilePermissions(dir, DIR_0700);
  }

  /**
   * Replaces {@code target} with {@code content}: write a 0600 temp file in the same directory,
   * fsync it, rename it over the target atomically, fsync the directory.
   */
  static void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> perms)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp =
        Files.createTempFile(
            dir,
            "." + target.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(FILE_0600));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.setPosixFilePermissions(tmp, perms);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDir(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Opens {@code lockFile} (created 0600, never through a link) and takes an exclusive lock on it,
   * held until the returned channel is closed.
   */
  static FileChannel lockExclusive(Path lockFile) throws IOException {
    FileChannel ch =
        FileChannel.open(
            lockFile,
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(FILE_0600));
    try {
      ch.lock();
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Parses one line of a record, split at spaces; throws IllegalArgumentException if it is bad. */
  interface LineParser {
    void parse(String[] fields);
  }

  /**
   * Reads a one-record-per-line file of {@link #readPrivateText}: the first line must be {@code
   * header}, each other line is split at spaces and handed to {@code parser}; a line it refuses is
   * reported corrupt, naming its number. A missing file has no lines.
   */
  static void readRecords(Path file, long maxBytes, String header, LineParser parser)
      throws AdmissionStateException {
    String text = readPrivateText(file, maxBytes);
    if (text == null) {
      return;
    }
    String[] lines = text.split("\n", -1);
    if (!lines[0].equals(header)) {
      throw new AdmissionStateException(file, "line 1: expected \"" + header + "\"");
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty() && i == lines.length - 1) {
        break;
      }
      try {
        parser.parse(lines[i].split(" ", -1));
      } catch (IllegalArgumentException e) {
        throw new AdmissionStateException(
            file, "line " + (i + 1) + " is corrupt: " + e.getMessage());
      }
    }
  }

  /**
   * The text of a record the loader keeps in its state directory: null when it does not exist;
   * refused unless it is a regular file of mode 0600 of at most {@code maxBytes}.
   */
  static String readPrivateText(Path file, long maxBytes) throws AdmissionStateException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new AdmissionStateException(file, "not a regular file");
      }
      Set<PosixFilePermission> perms =
          Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (!perms.equals(FILE_0600)) {
        throw new AdmissionStateException(
            file,
            "mode is " + PosixFilePermissions.toString(perms) + ", expected rw------- (0600)");
      }
      if (Files.size(file) > maxBytes) {
        throw new AdmissionStateException(
            file, "larger than " + Long.toString(maxBytes) + " bytes");
      }
      return Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AdmissionStateException(file, "cannot read: " + e, e);
    }
  }
}
