package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.blvm.policy.ModuleFiles;

/**
 * The SHA-256 of a module directory's content as it is now: every entry's relative path and type,
 * each regular file's bytes, each symbolic link's target (links are not followed). Bounded: at most
 * {@link #MAX_ENTRIES} entries, {@link ModuleFiles#MAX_DEPTH} levels and {@link #MAX_BYTES} read;
 * past a bound the digest covers what was read up to it and a marker (admission refuses such a
 * directory anyway). Only used to tell whether a directory changed.
 */
final class DirectoryDigest {
  static final int MAX_ENTRIES = 4 * ModuleFiles.MAX_FILES;
  static final long MAX_BYTES = ModuleFiles.MAX_TOTAL_BYTES + (1 << 20);

  private DirectoryDigest() {}

  /**
   * The digest of {@code dir}'s content, as hex.
   *
   * @throws IOException when {@code dir} is not a readable directory
   */
  static String of(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NotDirectoryException(dir.toString());
    }
    Map<String, Path> entries = new TreeMap<>();
    boolean[] over = {false};
    Files.walkFileTree(
        dir,
        java.util.Set.of(),
        ModuleFiles.MAX_DEPTH,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
            return add(d);
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
            return add(f);
          }

          private FileVisitResult add(Path p) {
            if (entries.size() >= MAX_ENTRIES) {
              over[0] = true;
              return FileVisitResult.TERMINATE;
            }
            entries.put(dir.relativize(p).toString(), p);
            return FileVisitResult.CONTINUE;
          }
        });
    MessageDigest md = sha256();
    long budget = MAX_BYTES;
    byte[] buf = new byte[64 * 1024];
    for (Map.Entry<String, Path> e : entries.entrySet()) {
      Path p = e.getValue();
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      if (Files.isSymbolicLink(p)) {
        md.update((byte) 'l');
        md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
      } else if (Files.isDirectory(p)) {
        md.update((byte) 'd');
      } else if (Files.isRegularFile(p)) {
        md.update((byte) 'f');
        try (InputStream in = Files.newInputStream(p)) {
          int n;
          while (budget > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, budget))) > 0) {
            md.update(buf, 0, n);
            budget -= n;
          }
        }
      } else {
        md.update((byte) 'o');
      }
      md.update((byte) 0);
    }
    if (over[0] || budget <= 0) {
      md.update("over a bound".getBytes(StandardCharsets.US_ASCII));
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
