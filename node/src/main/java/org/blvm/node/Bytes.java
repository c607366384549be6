package org.blvm.node;

import java.util.Arrays;
import java.util.HexFormat;

/** An immutable byte string: copies in, copies out. */
final class Bytes {
  static final Bytes EMPTY = new Bytes(new byte[0]);

  private static final HexFormat HEX = HexFormat.of();

  private final byte[] data;

  private Bytes(byte[] data) {
    this.data = data;
  }

  static Bytes of(byte[] data) {
    return new Bytes(data.clone());
  }

  /** Lowercase hex, even length. */
  static Bytes fromHex(String hex) {
    return new Bytes(HEX.parseHex(hex));
  }

  /** Takes ownership of an array nobody else holds. */
  static Bytes owned(byte[] data) {
    return new Bytes(data);
  }

  int length() {
    return data.length;
  }

  byte at(int i) {
    return data[i];
  }

  byte[] toArray() {
    return data.clone();
  }

  String hex() {
    return HEX.formatHex(data);
  }

  void writeTo(ByteWriter w) {
    w.bytes(data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes b && Arrays.equals(data, b.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return hex();
  }
}
