package org.blvm.protocol;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the few CBOR heads the event, response and hello fast paths need (RFC 8949 §3), into a
 * growable buffer. Also an {@link OutputStream}, so that a Jackson generator can append a value to
 * the heads without another copy.
 */
final class CborWriter extends OutputStream {
  private byte[] buf;
  private int len;

  CborWriter(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  CborWriter skip(int n) {
    ensure(n);
    len += n;
    return this;
  }

  CborWriter mapHeader(int entries) {
    return head(5, entries);
  }

  CborWriter arrayHeader(int items) {
    return head(4, items);
  }

  /** Any integer: major type 0, or 1 with the argument −1 − value for a negative one. */
  CborWriter integer(long value) {
    return value < 0 ? head(1, ~value) : head(0, value);
  }

  CborWriter uint(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative " + value);
    }
    return head(0, value);
  }

  CborWriter text(String s) {
    if (asciiText(s, Integer.MAX_VALUE)) {
      return this;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    head(3, utf8.length);
    return raw(utf8);
  }

  /**
   * Writes {@code s} as a text string when it is ASCII and at most {@code maxChars} long (its UTF-8
   * bytes are its chars), without an intermediate array; false, with nothing written, otherwise.
   */
  boolean asciiText(String s, int maxChars) {
    int n = s.length();
    if (n > maxChars) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    head(3, n);
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
    return true;
  }

  CborWriter bool(boolean b) {
    ensure(1);
    buf[len++] = (byte) (b ? 0xF5 : 0xF4);
    return this;
  }

  CborWriter nullValue() {
    ensure(1);
    buf[len++] = (byte) 0xF6;
    return this;
  }

  CborWriter raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    return this;
  }

  @Override
  public void write(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
  }

  /** Bytes written so far. */
  int size() {
    return len;
  }

  /** Forgets everything written after the first {@code n} bytes. */
  void truncate(int n) {
    if (n < 0 || n > len) {
      throw new IllegalArgumentException("truncate to " + n + " of " + len);
    }
    len = n;
  }

  /** A new array of the bytes from {@code from} to the end. */
  byte[] copyFrom(int from) {
    return Arrays.copyOfRange(buf, from, len);
  }

  /** Copies every byte written into the start of {@code into}. */
  void copyTo(byte[] into) {
    System.arraycopy(buf, 0, into, 0, len);
  }

  /** True when the bytes from {@code from} to the end are {@code bytes}. */
  boolean endsWith(int from, byte[] bytes) {
    return Arrays.equals(buf, from, len, bytes, 0, bytes.length);
  }

  /** Room for this many bytes without growing. */
  int capacity() {
    return buf.length;
  }

  byte[] toByteArray() {
    return buf.length == len ? buf : Arrays.copyOf(buf, len);
  }

  private CborWriter head(int major, long value) {
    ensure(9);
    len = putHead(buf, len, major, value);
    return this;
  }

  /** Bytes of the CBOR head of an unsigned integer {@code value} (1, 2, 3, 5 or 9). */
  static int uintLength(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative " + value);
    }
    return value < 24
        ? 1
        : value < 0x100 ? 2 : value < 0x10000 ? 3 : value < 0x1_0000_0000L ? 5 : 9;
  }

  /** Puts the unsigned integer {@code value} at {@code at}; returns the index after it. */
  static int putUint(byte[] into, int at, long value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative " + value);
    }
    return putHead(into, at, 0, value);
  }

  private static int putHead(byte[] buf, int at, int major, long value) {
    int len = at;
    int mt = major << 5;
    if (value < 24) {
      buf[len++] = (byte) (mt | value);
    } else if (value < 0x100) {
      buf[len++] = (byte) (mt | 24);
      buf[len++] = (byte) value;
    } else if (value < 0x10000) {
      buf[len++] = (byte) (mt | 25);
      buf[len++] = (byte) (value >>> 8);
      buf[len++] = (byte) value;
    } else if (value < 0x1_0000_0000L) {
      buf[len++] = (byte) (mt | 26);
      for (int shift = 24; shift >= 0; shift -= 8) {
        buf[len++] = (byte) (value >>> shift);
      }
    } else {
      buf[len++] = (byte) (mt | 27);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[len++] = (byte) (value >>> shift);
      }
    }
    return len;
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }
}
