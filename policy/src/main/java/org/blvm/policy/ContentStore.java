package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;

/**
 * The loader-owned, content-addressed binary store: a 0700 directory of read-only files named by
 * their SHA-256. A module's binary is hashed while it is copied in, so the copy is exactly the
 * bytes that were checked; the loader runs the copy, and a file swapped in the module directory
 * after admission is never executed.
 */
final class ContentStore {
  private static final int BUFFER = 1 << 20;
  private final Path dir;

  ContentStore(Path dir) {
    this.dir = dir;
  }

  /** Result of hashing a file: its digest and how many bytes were read. */
  record Hashed(Sha256 sha256, long size) {}

  /**
   * Copies {@code source} into the store, checking it against {@code pin} (null: accept whatever it
   * holds, for unsigned development modules) while copying, and returns the stored path.
   */
  Path put(Path source, BinaryPin pin) throws AdmissionException {
    try {
      StateFiles.privateDir(dir);
    } catch (IOException e) {
      throw new AdmissionStateException(dir, "cannot create the binary store: " + e, e);
    }
    if (pin != null) {
      Path existing = dir.resolve(pin.sha256().hex());
      if (Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS)) {
        // Still streamed from the module directory: its bytes must match the pin too.
        Hashed h = hash(source, pin.size() + 1);
        checkPin(source, pin, h);
        Hashed copy = hashStored(existing, pin.size() + 1);
        if (copy.size() == pin.size() && copy.sha256().equals(pin.sha256())) {
          return existing;
        }
      }
    }
    Path tmp;
    try {
      tmp =
          Files.createTempFile(
              dir, ".incoming-", "", PosixFilePermissions.asFileAttribute(StateFiles.FILE_0600));
    } catch (IOException e) {
      throw new AdmissionStateException(dir, "cannot write the binary store: " + e, e);
    }
    try {
      MessageDigest md = Sha256.newDigest();
      long limit = pin == null ? ModuleManifest.MAX_BINARY_SIZE + 1 : pin.size() + 1;
      long total = 0;
      try (InputStream in = open(source);
          FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        byte[] buf = new byte[BUFFER];
        int n;
        while (total < limit
            && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) > 0) {
          md.update(buf, 0, n);
          ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
          while (bb.hasRemaining()) {
            out.write(bb);
          }
          total += n;
        }
        out.force(true);
      } catch (IOException e) {
        throw new BinaryException(source, "cannot read: " + e.getMessage(), e);
      }
      Hashed h = new Hashed(Sha256.of(md.digest()), total);
      if (pin != null) {
        checkPin(source, pin, h);
      } else if (total > ModuleManifest.MAX_BINARY_SIZE) {
        throw new BinaryException(
            source, "larger than " + ModuleManifest.MAX_BINARY_SIZE + " bytes");
      }
      Path target = dir.resolve(h.sha256().hex());
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
        // Verify the copy as stored before it gets its name.
        Hashed copy = hashStored(tmp, h.size() + 1);
        if (copy.size() != h.size() || !copy.sha256().equals(h.sha256())) {
          throw new AdmissionStateException(
              tmp,
              "the stored copy does not read back as " + h.sha256() + " (" + copy.sha256() + ")");
        }
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        StateFiles.fsyncDir(dir);
      } catch (IOException e) {
        throw new AdmissionStateException(target, "cannot store the binary: " + e, e);
      }
      return target;
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: a leftover ".incoming-*" file is never executed
      }
    }
  }

  static void checkPin(Path source, BinaryPin pin, Hashed h) throws AdmissionException {
    if (h.size() != pin.size()) {
      throw new SizeMismatchException(source, pin.size(), h.size());
    }
    if (!h.sha256().equals(pin.sha256())) {
      throw new DigestMismatchException(source, pin.sha256(), h.sha256());
    }
  }

  private static InputStream open(Path source) throws IOException {
    return Files.newInputStream(source, LinkOption.NOFOLLOW_LINKS);
  }

  /** Hashes at most {@code limit} bytes of {@code file} (not following symlinks). */
  static Hashed hash(Path file, long limit) throws BinaryException {
    try {
      return hashFile(file, limit);
    } catch (IOException e) {
      throw new BinaryException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static Hashed hashStored(Path file, long limit) throws AdmissionStateException {
    try {
      return hashFile(file, limit);
    } catch (IOException e) {
      throw new AdmissionStateException(file, "cannot read the stored copy: " + e, e);
    }
  }

  private static Hashed hashFile(Path file, long limit) throws IOException {
    MessageDigest md = Sha256.newDigest();
    long total = 0;
    try (InputStream in = open(file)) {
      byte[] buf = new byte[BUFFER];
      int n;
      while (total < limit
          && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) > 0) {
        md.update(buf, 0, n);
        total += n;
      }
    }
    return new Hashed(Sha256.of(md.digest()), total);
  }
}
