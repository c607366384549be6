package org.blvm.node.admin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading the end of a growing text file (a module's output log, the audit log) in bounded steps:
 * the last lines now, then each line appended later. A file that shrinks (rotated or truncated) is
 * read again from its start; a missing file is empty. Lines longer than {@link #MAX_LINE} chars are
 * cut (marked with "…"). Not thread-safe: one per request.
 */
final class FileTail {
  /** At most this many bytes are read at the end of the file for the last lines. */
  static final int MAX_BACKLOG_BYTES = 256 * 1024;

  /** At most this many bytes are read per {@link #poll}. */
  static final int MAX_STEP_BYTES = 64 * 1024;

  /** Longer lines are cut to this many chars. */
  static final int MAX_LINE = 8192;

  private final Path file;
  private long position = -1;
  private final StringBuilder partial = new StringBuilder();

  FileTail(Path file) {
    this.file = file;
  }

  /**
   * The last {@code n} complete lines (from at most {@link #MAX_BACKLOG_BYTES} at the end); later
   * {@link #poll}s return what is appended after them.
   */
  List<String> last(int n) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long from = Math.max(0, size - MAX_BACKLOG_BYTES);
      List<String> lines = split(read(ch, from, (int) (size - from)), from > 0);
      position = size;
      return lines.size() <= n
          ? lines
          : new ArrayList<>(lines.subList(lines.size() - n, lines.size()));
    } catch (NoSuchFileException e) {
      position = 0;
      return List.of();
    }
  }

  /** The complete lines appended since the last call (at most {@link #MAX_STEP_BYTES} read). */
  List<String> poll() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (position < 0 || size < position) {
        position = 0; // rotated or truncated: the new file from its start
        partial.setLength(0);
      }
      int n = (int) Math.min(MAX_STEP_BYTES, size - position);
      if (n <= 0) {
        return List.of();
      }
      byte[] bytes = read(ch, position, n);
      position += n;
      return split(bytes, false);
    } catch (NoSuchFileException e) {
      position = 0;
      partial.setLength(0);
      return List.of();
    }
  }

  private static byte[] read(FileChannel ch, long from, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b, from + b.position()) < 0) {
        break;
      }
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
  }

  /** Complete lines; the rest waits in {@link #partial}. {@code dropFirst}: a cut first line. */
  private List<String> split(byte[] bytes, boolean dropFirst) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    int start = 0;
    boolean first = dropFirst;
    for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      partial.append(text, start, i);
      if (!first) {
        out.add(cut(partial.toString()));
      }
      first = false;
      partial.setLength(0);
      start = i + 1;
    }
    partial.append(text, start, text.length());
    if (partial.length() > MAX_LINE) {
      out.add(cut(partial.toString()));
      partial.setLength(0);
    }
    return out;
  }

  private static String cut(String line) {
    return line.length() <= MAX_LINE ? line : line.substring(0, MAX_LINE) + "…";
  }
}
