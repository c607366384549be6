package org.blvm.admin;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * Splits a byte stream into lines of bounded length. A read that times out (the source throws)
 * loses nothing: the next call carries on with the same line. Not thread-safe: one reader per
 * connection.
 */
public final class LineReader {
  /** Where bytes come from; {@code InputStream::read} fits. Returns -1 at the end. */
  @FunctionalInterface
  public interface Source {
    int read(byte[] buffer, int offset, int length) throws IOException;
  }

  /** A line longer than the bound; the stream is no longer in step and should be closed. */
  public static final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int limit;

    LineTooLongException(int limit) {
      super("a line is longer than " + limit + " bytes with its newline");
      this.limit = limit;
    }

    /** The bound, newline included. */
    public int limit() {
      return limit;
    }
  }

  private final Source source;
  private final byte[] buffer = new byte[8192];
  private int pos;
  private int end;
  private byte[] line = new byte[256];
  private int lineLength;

  public LineReader(Source source) {
    this.source = source;
  }

  /**
   * The next line without its newline; null at the end of the stream when no partial line is
   * pending.
   *
   * @param max the most bytes a line may have, its newline included
   * @throws LineTooLongException when the line is longer
   * @throws EOFException when the stream ends inside a line
   */
  public byte[] readLine(int max) throws IOException {
    while (true) {
      for (int i = pos; i < end; i++) {
        if (buffer[i] == '\n') {
          append(pos, i - pos, max - 1);
          pos = i + 1;
          byte[] out = Arrays.copyOf(line, lineLength);
          lineLength = 0;
          return out;
        }
      }
      append(pos, end - pos, max - 1);
      pos = 0;
      end = 0;
      int n = source.read(buffer, 0, buffer.length);
      if (n < 0) {
        if (lineLength == 0) {
          return null;
        }
        throw new EOFException("the stream ended inside a line");
      }
      end = n;
    }
  }

  /** Bytes read and not yet returned as part of a line. */
  public int pending() {
    return lineLength + end - pos;
  }

  private void append(int from, int n, int maxWithoutNewline) throws LineTooLongException {
    if (lineLength + n > maxWithoutNewline) {
      throw new LineTooLongException(maxWithoutNewline + 1);
    }
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
    }
    System.arraycopy(buffer, from, line, lineLength, n);
    lineLength += n;
  }
}
