package org.blvm.sdk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import org.blvm.protocol.Frames;
import org.blvm.protocol.ProtocolException;

/**
 * Bytes read from the node and not yet taken as frames, filled by non-blocking reads. One read
 * usually brings several frames; {@link #next} hands them out one at a time without copying the
 * rest. Same rules as {@link Frames#read}: a zero length or one above the limit is a {@link
 * ProtocolException}, and so is a stream that ends inside a frame. Not thread-safe: the client
 * guards it with its read lock.
 */
final class IncomingFrames {
  private static final int INITIAL = 64 * 1024;

  private final int maxFrameBytes;
  private byte[] buf = new byte[INITIAL];

  /** Unparsed bytes are {@code buf[start, end)}. */
  private int start;

  private int end;

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
    // at most 64 KiB per read: the JDK copies through a per-thread cached direct buffer of the
    // requested size, which must not grow to the largest frame on every thread that reads
    int n = channel.read(ByteBuffer.wrap(buf, end, Math.min(buf.length - end, INITIAL)));
    if (n > 0) {
      end += n;
    }
    return n;
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
