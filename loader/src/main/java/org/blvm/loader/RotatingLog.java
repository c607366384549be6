package org.blvm.loader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A log file the loader writes (0600), rotated by size: when the next write would take it past
 * {@code maxBytes}, {@code file} becomes {@code file.1}, {@code .1} becomes {@code .2} … and the
 * oldest beyond {@code keep} is deleted. At most {@code (keep + 1) * maxBytes} bytes on disk. Not
 * thread-safe: one writer.
 */
final class RotatingLog {
  private final Path file;
  private final long maxBytes;
  private final int keep;
  private FileChannel out;
  private long size;

  RotatingLog(Path file, long maxBytes, int keep) {
    if (maxBytes < 1 || keep < 0) {
      throw new IllegalArgumentException(
          "maxBytes >= 1 and keep >= 0, found " + maxBytes + ", " + keep);
    }
    this.file = file;
    this.maxBytes = maxBytes;
    this.keep = keep;
  }

  Path file() {
    return file;
  }

  /** Appends all of {@code b[off, off+len)}, rotating as often as needed. */
  void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (out == null) {
        open();
      }
      if (size >= maxBytes) {
        rotate();
        continue;
      }
      int n = (int) Math.min(len, maxBytes - size);
      ByteBuffer buf = ByteBuffer.wrap(b, off, n);
      while (buf.hasRemaining()) {
        size += out.write(buf);
      }
      off += n;
      len -= n;
    }
  }

  void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // nothing buffered: writes go straight to the channel
      }
      out = null;
    }
  }

  private void open() throws IOException {
    if (Files.isSymbolicLink(file)) {
      throw new IOException(file + " is a symbolic link; refusing to write through it");
    }
    out =
        FileChannel.open(
            file,
            java.util.Set.of(
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    size = out.size();
  }

  private void rotate() throws IOException {
    close();
    if (keep == 0) {
      Files.deleteIfExists(file);
    } else {
      Files.deleteIfExists(numbered(keep));
      for (int i = keep - 1; i >= 1; i--) {
        if (Files.exists(numbered(i), LinkOption.NOFOLLOW_LINKS)) {
          Files.move(numbered(i), numbered(i + 1), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      Files.move(file, numbered(1), StandardCopyOption.ATOMIC_MOVE);
    }
    open();
  }

  Path numbered(int i) {
    return file.resolveSibling(file.getFileName() + "." + i);
  }
}
