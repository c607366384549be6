package org.blvm.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Framing: a 4-byte big-endian unsigned length, then that many payload bytes. The length is checked
 * against the limit before anything is allocated for the payload.
 */
public final class Frames {
  /** Bytes in the length prefix. */
  public static final int HEADER_BYTES = 4;

  private Frames() {}

  /**
   * Reads one frame's payload.
   *
   * @return the payload, or null when the stream ended cleanly before the first byte of a frame
   * @throws ProtocolException for a truncated frame, a zero length or a length above {@code
   *     maxFrameBytes}
   * @throws IOException when the stream fails
   */
  public static byte[] read(InputStream in, int maxFrameBytes)
      throws IOException, ProtocolException {
    byte[] header = new byte[HEADER_BYTES];
    int got = in.readNBytes(header, 0, HEADER_BYTES);
    if (got == 0) {
      return null;
    }
    if (got < HEADER_BYTES) {
      throw new ProtocolException(
          ProtocolException.Reason.TRUNCATED_FRAME,
          "stream ended after " + got + " of the 4 length bytes");
    }
    long length = checkedLength(header, 0, maxFrameBytes);
    byte[] payload;
    try {
      payload = in.readNBytes((int) length);
    } catch (EOFException e) {
      payload = new byte[0];
    }
    if (payload.length < length) {
      throw new ProtocolException(
          ProtocolException.Reason.TRUNCATED_FRAME,
          "stream ended after " + payload.length + " of " + length + " payload bytes");
    }
    return payload;
  }

  /** Writes the length prefix and the payload; does not flush. */
  public static void write(OutputStream out, byte[] payload) throws IOException {
    out.write(header(payload.length));
    out.write(payload);
  }

  /** The payload with its length prefix in front, as one array. */
  public static byte[] frame(byte[] payload) {
    byte[] framed = new byte[HEADER_BYTES + payload.length];
    putHeader(framed, payload.length);
    System.arraycopy(payload, 0, framed, HEADER_BYTES, payload.length);
    return framed;
  }

  static byte[] header(int length) {
    byte[] h = new byte[HEADER_BYTES];
    putHeader(h, length);
    return h;
  }

  static void putHeader(byte[] into, int length) {
    into[0] = (byte) (length >>> 24);
    into[1] = (byte) (length >>> 16);
    into[2] = (byte) (length >>> 8);
    into[3] = (byte) length;
  }

  /**
   * The payload length in the 4-byte header at {@code off}, refused when it is 0 or above {@code
   * maxFrameBytes}.
   */
  public static long checkedLength(byte[] b, int off, int maxFrameBytes) throws ProtocolException {
    long length =
        ((b[off] & 0xFFL) << 24)
            | ((b[off + 1] & 0xFFL) << 16)
            | ((b[off + 2] & 0xFFL) << 8)
            | (b[off + 3] & 0xFFL);
    if (length == 0) {
      throw new ProtocolException(
          ProtocolException.Reason.EMPTY_FRAME, "frame length is 0; a frame carries one message");
    }
    if (length > maxFrameBytes) {
      throw new ProtocolException(
          ProtocolException.Reason.FRAME_TOO_LARGE,
          "frame length " + length + " exceeds the maximum of " + maxFrameBytes + " bytes");
    }
    return length;
  }
}
