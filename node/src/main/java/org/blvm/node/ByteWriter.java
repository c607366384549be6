package org.blvm.node;

import java.util.Arrays;

/** Little-endian serialization in Bitcoin's wire conventions. */
final class ByteWriter {
  private byte[] buf = new byte[256];
  private int len;

  ByteWriter u8(int v) {
    ensure(1);
    buf[len++] = (byte) v;
    return this;
  }

  ByteWriter le16(int v) {
    return u8(v).u8(v >>> 8);
  }

  ByteWriter le32(long v) {
    ensure(4);
    for (int i = 0; i < 4; i++) {
      buf[len++] = (byte) (v >>> (8 * i));
    }
    return this;
  }

  ByteWriter le64(long v) {
    ensure(8);
    for (int i = 0; i < 8; i++) {
      buf[len++] = (byte) (v >>> (8 * i));
    }
    return this;
  }

  /** Bitcoin's CompactSize: 1, 3, 5 or 9 bytes, always the shortest form. */
  ByteWriter varint(long v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative CompactSize " + v);
    }
    if (v < 0xfd) {
      return u8((int) v);
    } else if (v <= 0xffff) {
      return u8(0xfd).le16((int) v);
    } else if (v <= 0xffffffffL) {
      return u8(0xfe).le32(v);
    }
    return u8(0xff).le64(v);
  }

  ByteWriter bytes(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
    return this;
  }

  ByteWriter bytes(Bytes b) {
    b.writeTo(this);
    return this;
  }

  /** A CompactSize length, then the bytes. */
  ByteWriter varBytes(Bytes b) {
    varint(b.length());
    return bytes(b);
  }

  int length() {
    return len;
  }

  byte[] toArray() {
    return Arrays.copyOf(buf, len);
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }
}
