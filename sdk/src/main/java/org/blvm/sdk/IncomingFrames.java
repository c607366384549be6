package org.blvm.sdk;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;
import org.blvm.protocol.Frames;
import org.blvm.protocol.ProtocolException;

/**
 * Bytes read from the node and not yet taken as frames, filled by non-blocking reads. One read
 * usually brings several frames; {@link #next} hands them out one at a time without copying the
 * rest. Same rules as {@link Frames#read}: a zero length or one above the limit is a {@link
 * ProtocolException}, and so is a stream that ends inside a frame. Not thread-safe: the client
 * guards it with its read lock.
 *
 * <p>Descriptors (docs/protocol.md §2.5): the kernel ends a read after the bytes that came with
 * descriptors, so the descriptors of a read belong to the last frame that begins within that read's
 * bytes. {@link #received} records a read's descriptors with the stream positions it covered;
 * {@link #next} attaches them to that frame ({@link #takeDescriptors}) and closes descriptors that
 * no frame begins with.
 */
final class IncomingFrames {
  private static final int INITIAL = 64 * 1024;

  /** The fewest bytes a read asks for. */
  static final int SMALL_READ = 4 * 1024;

  private final int maxFrameBytes;
  private byte[] buf = new byte[INITIAL];

  /**
   * Bytes the next read asks for: at most 64 KiB, and twice what the last read brought when that
   * was less than it asked for (at least {@link #SMALL_READ}). The socket's stream copies as many
   * bytes into the array as a read asks for, whatever arrived, so a lone answer of a few hundred
   * bytes must not be read with a 64 KiB request; a read that fills its request (a burst, a large
   * frame) raises the next one to 64 KiB.
   */
  private int readSize = SMALL_READ;

  /** Unparsed bytes are {@code buf[start, end)}. */
  private int start;

  private int end;

  /** Stream position of {@code buf[start]}: bytes taken as frames so far. */
  private long consumed;

  /** Descriptors that came with a read covering stream positions [from, to), oldest first. */
  private record Arrival(long from, long to, FileDescriptor[] fds) {}

  private final ArrayDeque<Arrival> arrivals = new ArrayDeque<>(2);

  /** The descriptors of the frame {@link #next} returned last, until taken. */
  private FileDescriptor[] frameDescriptors;

  IncomingFrames(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * One non-blocking read into the buffer.
   *
   * @return the bytes read, 0 when none are available, -1 at the end of the stream
   */
  int readFrom(ReadableByteChannel channel) throws IOException {
    makeRoom();
    int ask = Math.min(buf.length - end, readSize);
    int n = channel.read(ByteBuffer.wrap(buf, end, ask));
    if (n > 0) {
      end += n;
      readSize = n == ask ? INITIAL : Math.max(SMALL_READ, Math.min(INITIAL, 2 * n));
    }
    return n;
  }

  /**
   * The last read (of {@code n} bytes, the bytes at the end of the buffer) came with {@code fds}.
   */
  void received(FileDescriptor[] fds, int n) {
    long to = consumed + (end - start);
    arrivals.add(new Arrival(to - n, to, fds));
  }

  /**
   * The descriptors that came with the frame {@link #next} returned last (null when none); the
   * caller owns them. Descriptors not taken before the next frame are closed.
   */
  FileDescriptor[] takeDescriptors() {
    FileDescriptor[] d = frameDescriptors;
    frameDescriptors = null;
    return d;
  }

  /** Closes every descriptor not yet taken (the connection is closed). */
  void closeDescriptors() {
    closeAll(takeDescriptors());
    while (!arrivals.isEmpty()) {
      closeAll(arrivals.poll().fds());
    }
  }

  static void closeAll(FileDescriptor[] fds) {
    if (fds == null) {
      return;
    }
    for (FileDescriptor fd : fds) {
      try {
        new FileInputStream(fd).close();
      } catch (IOException e) {
        // already closed
      }
    }
  }

  /** The frame at stream positions [from, to) is taken: which descriptors it came with. */
  private void attach(long from, long to) {
    closeAll(takeDescriptors()); // the previous frame's, never taken
    while (!arrivals.isEmpty()) {
      Arrival a = arrivals.peek();
      if (a.to() <= from) {
        closeAll(arrivals.poll().fds()); // no frame began within that read
      } else if (a.from() <= from && to >= a.to()) {
        arrivals.poll();
        closeAll(frameDescriptors);
        frameDescriptors = a.fds();
      } else {
        return;
      }
    }
  }

  /** The next complete frame's payload, or null when more bytes are needed. */
  byte[] next() throws ProtocolException {
    int available = end - start;
    if (available < Frames.HEADER_BYTES) {
      return null;
    }
    long length = Frames.checkedLength(buf, start, maxFrameBytes);
    if (available < Frames.HEADER_BYTES + length) {
      return null;
    }
    int from = start + Frames.HEADER_BYTES;
    byte[] payload = new byte[(int) length];
    System.arraycopy(buf, from, payload, 0, payload.length);
    start = from + payload.length;
    long frameStart = consumed;
    consumed += Frames.HEADER_BYTES + length;
    if (!arrivals.isEmpty() || frameDescriptors != null) {
      attach(frameStart, consumed);
    }
    if (start == end) {
      start = 0;
      end = 0;
      if (buf.length > INITIAL) {
        buf = new byte[INITIAL]; // a large frame passed: give its memory back
      }
    }
    return payload;
  }

  /** At the end of the stream: fails when it ended inside a frame. */
  void checkCleanEnd() throws ProtocolException {
    int available = end - start;
    if (available == 0) {
      return;
    }
    if (available < Frames.HEADER_BYTES) {
      throw new ProtocolException(
          ProtocolException.Reason.TRUNCATED_FRAME,
          "stream ended after " + available + " of the 4 length bytes");
    }
    throw new ProtocolException(
        ProtocolException.Reason.TRUNCATED_FRAME,
        "stream ended inside a frame, after "
            + (available - Frames.HEADER_BYTES)
            + " payload bytes");
  }

  /** Moves unparsed bytes to the front, and grows the buffer for a frame larger than it. */
  private void makeRoom() {
    int available = end - start;
    int need = INITIAL;
    if (available >= Frames.HEADER_BYTES) {
      long length =
          ((buf[start] & 0xFFL) << 24)
              | ((buf[start + 1] & 0xFFL) << 16)
              | ((buf[start + 2] & 0xFFL) << 8)
              | (buf[start + 3] & 0xFFL);
      // next() has rejected lengths above the limit before any further read
      need = (int) Math.max(need, Frames.HEADER_BYTES + Math.min(length, maxFrameBytes));
    }
    if (need > buf.length) {
      byte[] bigger = new byte[need];
      System.arraycopy(buf, start, bigger, 0, available);
      buf = bigger;
      start = 0;
      end = available;
    } else if (end == buf.length && start > 0) {
      System.arraycopy(buf, start, buf, 0, available);
      start = 0;
      end = available;
    }
  }
}
