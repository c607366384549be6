package org.blvm.modules.stratum;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Reads one message payload field by field with the data types of the specification (section "Data
 * Types Mapping": little-endian integers, length-prefixed strings and byte arrays, OPTION). Every
 * read checks that the bytes are there; {@link #end()} checks that none are left over.
 */
final class WireReader {
  private final byte[] b;
  private final String message;
  private int pos;

  WireReader(byte[] payload, String message) {
    this.b = payload;
    this.message = message;
  }

  private void need(int n, String field) throws MalformedFrameException {
    if (b.length - pos < n) {
      throw new MalformedFrameException(
          message
              + "."
              + field
              + ": "
              + Integer.toString(n)
              + " bytes needed, "
              + Integer.toString(b.length - pos)
              + " left");
    }
  }

  int u8(String field) throws MalformedFrameException {
    need(1, field);
    return b[pos++] & 0xff;
  }

  int u16(String field) throws MalformedFrameException {
    need(2, field);
    int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8;
    pos += 2;
    return v;
  }

  /** A U32 as a non-negative long. */
  long u32(String field) throws MalformedFrameException {
    need(4, field);
    long v = 0;
    for (int i = 3; i >= 0; i--) {
      v = v << 8 | (b[pos + i] & 0xff);
    }
    pos += 4;
    return v;
  }

  long u64(String field) throws MalformedFrameException {
    need(8, field);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (b[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  float f32(String field) throws MalformedFrameException {
    return Float.intBitsToFloat((int) u32(field));
  }

  Bytes32 u256Bytes(String field) throws MalformedFrameException {
    need(32, field);
    byte[] out = new byte[32];
    System.arraycopy(b, pos, out, 0, 32);
    pos += 32;
    return Bytes32.of(out);
  }

  /** A U256 (little-endian) as a non-negative number. */
  BigInteger u256(String field) throws MalformedFrameException {
    return new BigInteger(1, Bytes32.reverse(u256Bytes(field).bytes()));
  }

  /** STR0_255: a length byte, then that many bytes (read as UTF-8, malformed bytes replaced). */
  String str0255(String field) throws MalformedFrameException {
    int len = u8(field);
    need(len, field);
    String s = new String(b, pos, len, StandardCharsets.UTF_8);
    pos += len;
    return s;
  }

  /** B0_32: a length byte of at most 32, then that many bytes. */
  byte[] b032(String field) throws MalformedFrameException {
    int len = u8(field);
    if (len > 32) {
      throw new MalformedFrameException(
          message + "." + field + ": B0_32 length " + Integer.toString(len) + " is over 32");
    }
    need(len, field);
    byte[] out = new byte[len];
    System.arraycopy(b, pos, out, 0, len);
    pos += len;
    return out;
  }

  /** OPTION[U32]: a count byte of 0 or 1, then the value if 1. */
  OptionalLong optionU32(String field) throws MalformedFrameException {
    int n = u8(field);
    if (n > 1) {
      throw new MalformedFrameException(
          message + "." + field + ": OPTION count " + Integer.toString(n) + " is over 1");
    }
    return n == 0 ? OptionalLong.empty() : OptionalLong.of(u32(field));
  }

  /** Checks that the whole payload was read. */
  void end() throws MalformedFrameException {
    if (pos != b.length) {
      throw new MalformedFrameException(
          message + ": " + Integer.toString(b.length - pos) + " bytes after the last field");
    }
  }
}
