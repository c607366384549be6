package org.blvm.policy;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A minisign key id: 8 random bytes chosen when the key was generated. Printed the way minisign
 * prints it: the bytes read as a little-endian 64-bit number, as 16 uppercase hex digits (so the
 * text is the bytes in reverse order).
 */
public final class KeyId {
  private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]{16}");
  private final byte[] bytes;

  private KeyId(byte[] bytes) {
    this.bytes = bytes;
  }

  /** From the 8 bytes as they appear in key and signature files (copied). */
  public static KeyId of(byte[] bytes) {
    if (bytes.length != 8) {
      throw new IllegalArgumentException("a key id is 8 bytes, found " + bytes.length);
    }
    return new KeyId(bytes.clone());
  }

  static KeyId of(byte[] buf, int offset) {
    return new KeyId(Arrays.copyOfRange(buf, offset, offset + 8));
  }

  /**
   * From minisign's printed form, 16 hex digits such as {@code A67EEE47B421382B}.
   *
   * @throws IllegalArgumentException when it is not 16 hex digits
   */
  public static KeyId parse(String text) {
    if (!HEX.matcher(text).matches()) {
      throw new IllegalArgumentException("a key id is 16 hex digits, found \"" + text + "\"");
    }
    byte[] b = HexFormat.of().parseHex(text);
    reverse(b);
    return new KeyId(b);
  }

  private static void reverse(byte[] b) {
    for (int i = 0, j = b.length - 1; i < j; i++, j--) {
      byte t = b[i];
      b[i] = b[j];
      b[j] = t;
    }
  }

  /** The 8 bytes in file order (copied). */
  public byte[] bytes() {
    return bytes.clone();
  }

  void copyTo(byte[] dst, int offset) {
    System.arraycopy(bytes, 0, dst, offset, 8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyId && Arrays.equals(bytes, ((KeyId) o).bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** 16 uppercase hex digits, as minisign prints key ids. */
  @Override
  public String toString() {
    byte[] b = bytes.clone();
    reverse(b);
    return HexFormat.of().formatHex(b).toUpperCase(Locale.ROOT);
  }
}
