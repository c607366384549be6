package org.blvm.node;

/**
 * Reads Bitcoin wire data from a byte array. Every read is bounds-checked; CompactSize values must
 * be in their shortest form (as Bitcoin Core requires).
 */
final class ByteReader {
  private final byte[] data;
  private int pos;

  ByteReader(byte[] data) {
    this.data = data;
  }

  int remaining() {
    return data.length - pos;
  }

  int position() {
    return pos;
  }

  int u8() throws DecodeException {
    need(1);
    return data[pos++] & 0xff;
  }

  int peek() throws DecodeException {
    need(1);
    return data[pos] & 0xff;
  }

  long le32() throws DecodeException {
    need(4);
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v |= (long) (data[pos++] & 0xff) << (8 * i);
    }
    return v;
  }

  long le64() throws DecodeException {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v |= (long) (data[pos++] & 0xff) << (8 * i);
    }
    return v;
  }

  long varint() throws DecodeException {
    int first = u8();
    long v;
    long min;
    if (first < 0xfd) {
      return first;
    } else if (first == 0xfd) {
      v = u8() | (u8() << 8);
      min = 0xfd;
    } else if (first == 0xfe) {
      v = le32();
      min = 0x10000;
    } else {
      v = le64();
      min = 0x100000000L;
    }
    if (v < min) {
      throw new DecodeException("non-canonical CompactSize at byte " + (pos - 1));
    }
    return v;
  }

  /** A count that cannot exceed what {@code minBytesEach}-byte items would fill the rest with. */
  int count(int minBytesEach, String what) throws DecodeException {
    long n = varint();
    if (n > remaining() / Math.max(1, minBytesEach)) {
      throw new DecodeException(what + " count " + n + " exceeds what the remaining bytes hold");
    }
    return (int) n;
  }

  byte[] bytes(int n) throws DecodeException {
    need(n);
    byte[] b = new byte[n];
    System.arraycopy(data, pos, b, 0, n);
    pos += n;
    return b;
  }

  /** A CompactSize length of at most {@code max}, then that many bytes. */
  Bytes varBytes(int max, String what) throws DecodeException {
    long n = varint();
    if (n > max) {
      throw new DecodeException(what + " of " + n + " bytes exceeds the limit of " + max);
    }
    return Bytes.owned(bytes((int) n));
  }

  private void need(int n) throws DecodeException {
    if (n < 0 || remaining() < n) {
      throw new DecodeException(
          "truncated: needed " + n + " more bytes at byte " + pos + " of " + data.length);
    }
  }
}
