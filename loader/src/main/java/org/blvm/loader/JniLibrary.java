package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The junixsocket native library a module jar carries for this platform, copied out of the jar by
 * the loader when it builds the jar's class-data archive ({@link ClassDataArchives}), so that the
 * module's JVM loads it from a read-only file ({@value #PROPERTY}) instead of unpacking it into a
 * temporary file at every start (which also seeds a {@code SecureRandom} for the file's name). The
 * bytes are the module's own: its JVM would have loaded the same library from its jar.
 */
final class JniLibrary {
  /** junixsocket's system property naming the library file to load. */
  static final String PROPERTY = "org.newsclub.net.unix.library.override";

  static final long MAX_BYTES = 8L << 20;

  private JniLibrary() {}

  /**
   * The entry of {@code jar} junixsocket would unpack on this platform: {@code
   * lib/<os.arch>-Linux-<clang|gpp>/jni/libjunixsocket-native-<version>.so}, the first compiler
   * found; null when the jar holds none, or more than one version for a compiler.
   */
  static String entry(Path jar) throws IOException {
    String prefix = "lib/" + System.getProperty("os.arch") + "-Linux-";
    Pattern name =
        Pattern.compile(
            Pattern.quote(prefix)
                + "(clang|gpp)/jni/libjunixsocket-native-[0-9][0-9A-Za-z.\\-]*\\.so");
    String clang = null;
    String gpp = null;
    int clangs = 0;
    int gpps = 0;
    try (ZipInputStream z = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        String n = e.getName();
        if (!n.startsWith(prefix) || n.contains("nodeps") || !name.matcher(n).matches()) {
          continue;
        }
        if (n.startsWith(prefix + "clang/")) {
          clang = n;
          clangs++;
        } else {
          gpp = n;
          gpps++;
        }
      }
    }
    if (clangs == 1) {
      return clang;
    }
    return clangs == 0 && gpps == 1 ? gpp : null;
  }

  /**
   * Copies {@code entry} of {@code jar} into the new file {@code to} (0644, at most {@value
   * #MAX_BYTES} bytes).
   *
   * @return the copy's SHA-256 (hex)
   */
  static String copy(Path jar, String entry, Path to) throws IOException {
    MessageDigest md = FileDigests.newSha256();
    try (ZipInputStream z = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        if (!e.getName().equals(entry)) {
          continue;
        }
        try (FileChannel ch =
                FileChannel.open(
                    to,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-r--r--")));
            OutputStream os = Channels.newOutputStream(ch)) {
          copyBounded(z, os, md);
          ch.force(true);
        } catch (IOException ex) {
          Files.deleteIfExists(to);
          throw ex;
        }
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
        return HexFormat.of().formatHex(md.digest());
      }
    }
    throw new IOException(jar + " has no entry " + entry);
  }

  private static void copyBounded(InputStream in, OutputStream out, MessageDigest md)
      throws IOException {
    byte[] buf = new byte[1 << 16];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      total += n;
      if (total > MAX_BYTES) {
        throw new IOException("the native library is larger than " + MAX_BYTES + " bytes");
      }
      md.update(buf, 0, n);
      out.write(buf, 0, n);
    }
  }
}
