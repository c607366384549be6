package org.blvm.modules.stratum;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Writes a message payload with the data types of the specification (section "Data Types Mapping").
 * A value outside its type's range is a programming error here: {@link IllegalArgumentException}
 * naming the field.
 */
final class WireWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

  WireWriter u8(int v) {
    check(v, 0xff, "U8");
    out.write(v);
    return this;
  }

  WireWriter u16(int v) {
    check(v, 0xffff, "U16");
    out.write(v & 0xff);
    out.write(v >>> 8);
    return this;
  }

  WireWriter u32(long v) {
    if (v < 0 || v > 0xffffffffL) {
      throw new IllegalArgumentException("U32 out of range: " + Long.toString(v));
    }
    for (int i = 0; i < 4; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
    return this;
  }

  WireWriter u64(long v) {
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
    return this;
  }

  WireWriter f32(float v) {
    return u32(Float.floatToRawIntBits(v) & 0xffffffffL);
  }

  WireWriter u256(Bytes32 v) {
    out.writeBytes(v.bytes());
    return this;
  }

  /** A non-negative number below 2^256, little-endian. */
  WireWriter u256(BigInteger v) {
    if (v.signum() < 0 || v.bitLength() > 256) {
      throw new IllegalArgumentException("U256 out of range: " + v.toString(16));
    }
    byte[] be = v.toByteArray();
    byte[] le = new byte[32];
    for (int i = 0; i < 32 && i < be.length; i++) {
      le[i] = be[be.length - 1 - i];
    }
    out.writeBytes(le);
    return this;
  }

  WireWriter str0255(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 255) {
      throw new IllegalArgumentException(
          "STR0_255 of " + Integer.toString(b.length) + " bytes is over 255");
    }
    out.write(b.length);
    out.writeBytes(b);
    return this;
  }

  WireWriter b032(byte[] b) {
    if (b.length > 32) {
      throw new IllegalArgumentException(
          "B0_32 of " + Integer.toString(b.length) + " bytes is over 32");
    }
    out.write(b.length);
    out.writeBytes(b);
    return this;
  }

  WireWriter optionU32(OptionalLong v) {
    if (v.isEmpty()) {
      out.write(0);
      return this;
    }
    out.write(1);
    return u32(v.getAsLong());
  }

  byte[] toBytes() {
    return out.toByteArray();
  }

  private static void check(int v, int max, String type) {
    if (v < 0 || v > max) {
      throw new IllegalArgumentException(type + " out of range: " + Integer.toString(v));
    }
  }
}
