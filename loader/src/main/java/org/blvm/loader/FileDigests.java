package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * SHA-256 digests and small text files, read again only when the file changed since it was last
 * read: a file whose device, inode, change time or size differ is a new file (a rewrite always
 * changes the change time). Counts the files it hashed and read, so that a test can tell that an
 * unchanged file was not read again. Thread-safe.
 */
final class FileDigests {
  /** The largest text file {@link #text} reads. */
  static final int MAX_TEXT_BYTES = 64 << 10;

  /** At most this many files are remembered of each kind (then all are forgotten). */
  static final int MAX_FILES = 1024;

  /** What a file looked like when it was read: any change is a new file. */
  private record Seen(Object fileKey, Object ctime, long size) {}

  private record Known(Seen seen, String value) {}

  /** guarded by this: digests taken, by path */
  private final Map<Path, Known> digests = new HashMap<>();

  /** guarded by this: texts read, by path */
  private final Map<Path, Known> texts = new HashMap<>();

  /** guarded by this */
  private long filesRead;

  /** The file's SHA-256 (hex), taken again only when the file changed since it was last taken. */
  String sha256(Path p) throws IOException {
    Seen seen = seen(p);
    String known = known(digests, p, seen);
    if (known != null) {
      return known;
    }
    MessageDigest md = newSha256();
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return remember(digests, p, seen, HexFormat.of().formatHex(md.digest()));
  }

  /** The file's text (UTF-8, at most {@value #MAX_TEXT_BYTES} bytes), read again on a change. */
  String text(Path p) throws IOException {
    Seen seen = seen(p);
    String known = known(texts, p, seen);
    if (known != null) {
      return known;
    }
    if (seen.size() > MAX_TEXT_BYTES) {
      throw new IOException(p + " is larger than " + MAX_TEXT_BYTES + " bytes");
    }
    return remember(texts, p, seen, Files.readString(p, StandardCharsets.UTF_8));
  }

  /**
   * Records {@code sha256} as the digest of {@code p} as the file is now, when it is still the file
   * {@code fileKey} names ({@link #fileKey}): the digest its writer took while writing it, so that
   * the next {@link #sha256} does not hash it again. Only for a file of the loader's own that no
   * one else may write; a later change of the file changes its change time and is hashed again.
   */
  void taken(Path p, Object fileKey, String sha256) throws IOException {
    Seen seen = seen(p);
    if (seen.fileKey().equals(fileKey)) {
      synchronized (this) {
        if (digests.size() >= MAX_FILES) {
          digests.clear();
        }
        digests.put(p, new Known(seen, sha256));
      }
    }
  }

  /** The file's identity (device and inode), links not followed. */
  static Object fileKey(Path p) throws IOException {
    return seen(p).fileKey();
  }

  /** Forgets what was read of {@code p} (it was deleted or replaced by this process). */
  synchronized void forget(Path p) {
    digests.remove(p);
    texts.remove(p);
  }

  /** How many times a file was hashed or read (not answered from what was known). */
  synchronized long filesRead() {
    return filesRead;
  }

  private static Seen seen(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:ino,dev,ctime,size", LinkOption.NOFOLLOW_LINKS);
    return new Seen(a.get("dev") + ":" + a.get("ino"), a.get("ctime"), (Long) a.get("size"));
  }

  private synchronized String known(Map<Path, Known> m, Path p, Seen seen) {
    Known k = m.get(p);
    return k != null && k.seen().equals(seen) ? k.value() : null;
  }

  private synchronized String remember(Map<Path, Known> m, Path p, Seen seen, String value) {
    filesRead++;
    if (m.size() >= MAX_FILES) {
      m.clear();
    }
    m.put(p, new Known(seen, value));
    return value;
  }

  static String sha256Hex(byte[] b) {
    return HexFormat.of().formatHex(newSha256().digest(b));
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
