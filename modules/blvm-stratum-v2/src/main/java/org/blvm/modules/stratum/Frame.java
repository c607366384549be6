package org.blvm.modules.stratum;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * One Stratum V2 frame (section "Framing" of the specification): {@code extension_type} U16 whose
 * most significant bit is {@code channel_msg}, {@code msg_type} U8, {@code msg_length} U24, then
 * the payload, all little-endian, plaintext (no Noise encryption). The payload is copied in and
 * out.
 */
final class Frame {
  static final int HEADER_BYTES = 6;
  static final int CHANNEL_MSG_BIT = 0x8000;

  /**
   * The largest payload read from a miner: the largest message a miner sends on a standard channel
   * ({@code SetupConnection} with five full strings) is under 1,300 bytes.
   */
  static final int MAX_PAYLOAD = 4096;

  private final int extensionType;
  private final int msgType;
  private final byte[] payload;

  Frame(int extensionType, int msgType, byte[] payload) {
    if (extensionType < 0 || extensionType > 0xffff) {
      throw new IllegalArgumentException("extension_type out of range");
    }
    if (msgType < 0 || msgType > 0xff) {
      throw new IllegalArgumentException("msg_type out of range");
    }
    if (payload.length > 0xffffff) {
      throw new IllegalArgumentException("payload over U24");
    }
    this.extensionType = extensionType;
    this.msgType = msgType;
    this.payload = payload.clone();
  }

  /** {@code extension_type} with the {@code channel_msg} bit. */
  int extensionType() {
    return extensionType;
  }

  /** {@code extension_type} without the {@code channel_msg} bit: 0 for the Mining Protocol. */
  int extension() {
    return extensionType & ~CHANNEL_MSG_BIT;
  }

  boolean channelMsg() {
    return (extensionType & CHANNEL_MSG_BIT) != 0;
  }

  int msgType() {
    return msgType;
  }

  byte[] payload() {
    return payload.clone();
  }

  int length() {
    return payload.length;
  }

  /** The frame as sent: the six-byte header, then the payload. */
  byte[] encode() {
    byte[] out = new byte[HEADER_BYTES + payload.length];
    out[0] = (byte) extensionType;
    out[1] = (byte) (extensionType >>> 8);
    out[2] = (byte) msgType;
    out[3] = (byte) payload.length;
    out[4] = (byte) (payload.length >>> 8);
    out[5] = (byte) (payload.length >>> 16);
    System.arraycopy(payload, 0, out, HEADER_BYTES, payload.length);
    return out;
  }

  /**
   * Reads the next frame; empty when the stream ends cleanly before one begins.
   *
   * @throws MalformedFrameException the header announces more than {@code maxPayload} bytes
   * @throws EOFException the stream ends inside a frame
   */
  static Optional<Frame> read(InputStream in, int maxPayload)
      throws IOException, MalformedFrameException {
    byte[] h = new byte[HEADER_BYTES];
    int first = in.readNBytes(h, 0, HEADER_BYTES);
    if (first == 0) {
      return Optional.empty();
    }
    if (first < HEADER_BYTES) {
      throw new EOFException(
          "connection ended inside a frame header after " + Integer.toString(first) + " bytes");
    }
    int ext = (h[0] & 0xff) | (h[1] & 0xff) << 8;
    int type = h[2] & 0xff;
    int len = (h[3] & 0xff) | (h[4] & 0xff) << 8 | (h[5] & 0xff) << 16;
    if (len > maxPayload) {
      throw new MalformedFrameException(
          "frame msg_type 0x"
              + Integer.toHexString(type)
              + " announces "
              + Integer.toString(len)
              + " bytes, over the limit of "
              + Integer.toString(maxPayload));
    }
    byte[] p = in.readNBytes(len);
    if (p.length < len) {
      throw new EOFException(
          "connection ended inside a frame: "
              + Integer.toString(p.length)
              + " of "
              + Integer.toString(len)
              + " bytes");
    }
    return Optional.of(new Frame(ext, type, p));
  }
}
