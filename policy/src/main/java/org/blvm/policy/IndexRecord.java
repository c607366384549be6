package org.blvm.policy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The newest version of each module index seen on this machine, kept in the loader's state
 * directory (never writable by modules): one text file {@code indexes}, 0600, replaced atomically
 * under an exclusive lock on {@code indexes.lock}:
 *
 * <pre>
 * # blvm index versions v1
 * &lt;index name&gt; &lt;version&gt; &lt;expires&gt; &lt;sha256 of the index file&gt;
 * </pre>
 *
 * An index older than the one recorded under its name is refused (rollback protection, as TUF's
 * timestamp and snapshot versions); the same version is accepted only with the same bytes. A file
 * that cannot be read or parsed refuses every index (fail closed).
 */
public final class IndexRecord {
  static final String HEADER = "# blvm index versions v1";

  record Seen(long version, Instant expires, Sha256 sha256) {}

  private final Path file;
  private final Path lockFile;

  private IndexRecord(Path stateDir) {
    this.file = stateDir.resolve("indexes");
    this.lockFile = stateDir.resolve("indexes.lock");
  }

  /**
   * The record in the loader's state directory, which is created 0700 when missing and otherwise
   * checked, never changed ({@link LoaderRoot}).
   *
   * @throws IndexException (rule STATE) naming the directory and the problem
   */
  public static IndexRecord open(Path stateDir, Path index) throws IndexException {
    Path dir = stateDir.toAbsolutePath().normalize();
    try {
      LoaderRoot.prepare(dir, "state", -1);
    } catch (IOException e) {
      throw new IndexException(
          index,
          null,
          null,
          IndexException.Rule.STATE,
          e.getMessage() == null ? e.toString() : e.getMessage(),
          e);
    }
    return new IndexRecord(dir);
  }

  /** The file the versions are recorded in. */
  public Path file() {
    return file;
  }

  /**
   * Refuses {@code v} if an index of its name with a higher version was seen, or the same version
   * with other bytes; otherwise records it as the newest seen (when it is newer).
   *
   * @throws IndexException rule ROLLBACK, VERSION_REUSED, or STATE when the record is unusable
   */
  public synchronized void accept(IndexVerifier.Verified v) throws IndexException {
    ModuleIndex ix = v.index();
    try (FileChannel ch =
            FileChannel.open(
                lockFile,
                Set.of(
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(StateFiles.FILE_0600));
        FileLock lock = ch.lock()) {
      Map<String, Seen> all = read(v.file());
      Seen seen = all.get(ix.name());
      if (seen != null && ix.version() < seen.version()) {
        throw new IndexException(
            v.file(),
            null,
            null,
            IndexException.Rule.ROLLBACK,
            "index "
                + ix.name()
                + " version "
                + ix.version()
                + " (expires "
                + ix.expires()
                + ") is older than version "
                + seen.version()
                + " (expires "
                + seen.expires()
                + ") seen before");
      }
      if (seen != null && ix.version() == seen.version()) {
        if (!seen.sha256().equals(v.sha256())) {
          throw new IndexException(
              v.file(),
              null,
              null,
              IndexException.Rule.VERSION_REUSED,
              "index "
                  + ix.name()
                  + " version "
                  + ix.version()
                  + " was seen with SHA-256 "
                  + seen.sha256()
                  + ", this one is "
                  + v.sha256());
        }
        return;
      }
      all.put(ix.name(), new Seen(ix.version(), ix.expires(), v.sha256()));
      StringBuilder sb = new StringBuilder(HEADER).append('\n');
      for (Map.Entry<String, Seen> e : all.entrySet()) {
        sb.append(e.getKey())
            .append(' ')
            .append(e.getValue().version())
            .append(' ')
            .append(e.getValue().expires())
            .append(' ')
            .append(e.getValue().sha256())
            .append('\n');
      }
      StateFiles.writeAtomically(
          file, sb.toString().getBytes(StandardCharsets.UTF_8), StateFiles.FILE_0600);
    } catch (IOException e) {
      throw new IndexException(
          v.file(), null, null, IndexException.Rule.STATE, file + ": cannot record: " + e, e);
    }
  }

  private Map<String, Seen> read(Path index) throws IndexException {
    Map<String, Seen> out = new TreeMap<>();
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    String text;
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw state(index, "not a regular file");
      }
      Set<PosixFilePermission> perms =
          Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (!perms.equals(StateFiles.FILE_0600)) {
        throw state(
            index,
            "mode is " + PosixFilePermissions.toString(perms) + ", expected rw------- (0600)");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw state(index, "cannot read: " + e);
    }
    String[] lines = text.split("\n", -1);
    if (!lines[0].equals(HEADER)) {
      throw state(index, "line 1: expected \"" + HEADER + "\"");
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty() && i == lines.length - 1) {
        break;
      }
      String[] f = lines[i].split(" ", -1);
      try {
        if (f.length != 4 || out.containsKey(f[0]) || !ModuleIndex.NAME.matcher(f[0]).matches()) {
          throw new IllegalArgumentException("expected: name version expires sha256");
        }
        out.put(f[0], new Seen(Long.parseLong(f[1]), Instant.parse(f[2]), Sha256.parse(f[3])));
      } catch (RuntimeException e) {
        throw state(index, "line " + (i + 1) + " is corrupt: " + e.getMessage());
      }
    }
    return out;
  }

  private IndexException state(Path index, String problem) {
    return new IndexException(index, null, null, IndexException.Rule.STATE, file + ": " + problem);
  }
}
