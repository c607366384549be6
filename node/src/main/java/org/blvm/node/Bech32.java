package org.blvm.node;

import java.io.ByteArrayOutputStream;
import java.util.Locale;
import java.util.Optional;

/**
 * Segregated-witness addresses: bech32 (BIP 173) for witness version 0 and bech32m (BIP 350) for
 * versions 1 to 16.
 */
final class Bech32 {
  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int BECH32 = 1;
  private static final int BECH32M = 0x2bc830a3;
  private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

  /** A decoded witness program. */
  record WitnessProgram(int version, Bytes program) {}

  private Bech32() {}

  static String encode(String hrp, int version, byte[] program) {
    checkProgram(version, program.length);
    byte[] data = convertBits(program, 8, 5, true);
    byte[] values = new byte[data.length + 1];
    values[0] = (byte) version;
    System.arraycopy(data, 0, values, 1, data.length);
    int constant = version == 0 ? BECH32 : BECH32M;
    int polymod = polymod(expand(hrp, values, new byte[6])) ^ constant;
    StringBuilder sb = new StringBuilder(hrp).append('1');
    for (byte v : values) {
      sb.append(CHARSET.charAt(v));
    }
    for (int i = 0; i < 6; i++) {
      sb.append(CHARSET.charAt((polymod >>> (5 * (5 - i))) & 31));
    }
    return sb.toString();
  }

  /** The witness program of an address for {@code hrp}, or empty when it is not one. */
  static Optional<WitnessProgram> decode(String hrp, String address) {
    if (address == null || address.length() > 90 || address.length() < 8) {
      return Optional.empty();
    }
    String lower = address.toLowerCase(Locale.ROOT);
    if (!lower.equals(address) && !address.toUpperCase(Locale.ROOT).equals(address)) {
      return Optional.empty();
    }
    int sep = lower.lastIndexOf('1');
    if (sep < 1 || !lower.substring(0, sep).equals(hrp) || lower.length() - sep - 1 < 7) {
      return Optional.empty();
    }
    byte[] values = new byte[lower.length() - sep - 1];
    for (int i = 0; i < values.length; i++) {
      int v = CHARSET.indexOf(lower.charAt(sep + 1 + i));
      if (v < 0) {
        return Optional.empty();
      }
      values[i] = (byte) v;
    }
    int version = values[0];
    int check = polymod(expand(hrp, values, new byte[0]));
    if (check != (version == 0 ? BECH32 : BECH32M) || version > 16) {
      return Optional.empty();
    }
    byte[] data = new byte[values.length - 7];
    System.arraycopy(values, 1, data, 0, data.length);
    byte[] program = convertBits(data, 5, 8, false);
    if (program == null || !validProgram(version, program.length)) {
      return Optional.empty();
    }
    return Optional.of(new WitnessProgram(version, Bytes.owned(program)));
  }

  static boolean validProgram(int version, int length) {
    return version >= 0
        && version <= 16
        && length >= 2
        && length <= 40
        && (version != 0 || length == 20 || length == 32);
  }

  private static void checkProgram(int version, int length) {
    if (!validProgram(version, length)) {
      throw new IllegalArgumentException(
          "not a witness program: version " + version + ", " + length + " bytes");
    }
  }

  private static byte[] expand(String hrp, byte[] values, byte[] tail) {
    byte[] out = new byte[hrp.length() * 2 + 1 + values.length + tail.length];
    int i = 0;
    for (char c : hrp.toCharArray()) {
      out[i++] = (byte) (c >>> 5);
    }
    out[i++] = 0;
    for (char c : hrp.toCharArray()) {
      out[i++] = (byte) (c & 31);
    }
    System.arraycopy(values, 0, out, i, values.length);
    System.arraycopy(tail, 0, out, i + values.length, tail.length);
    return out;
  }

  private static int polymod(byte[] values) {
    int chk = 1;
    for (byte v : values) {
      int top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (int i = 0; i < 5; i++) {
        if (((top >>> i) & 1) != 0) {
          chk ^= GEN[i];
        }
      }
    }
    return chk;
  }

  /** Regroups bits; null when {@code pad} is false and the input leaves non-zero padding. */
  private static byte[] convertBits(byte[] in, int from, int to, boolean pad) {
    int acc = 0;
    int bits = 0;
    int maxv = (1 << to) - 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte b : in) {
      int value = b & 0xff;
      if ((value >>> from) != 0) {
        return null;
      }
      acc = (acc << from) | value;
      bits += from;
      while (bits >= to) {
        bits -= to;
        out.write((acc >>> bits) & maxv);
      }
    }
    if (pad) {
      if (bits > 0) {
        out.write((acc << (to - bits)) & maxv);
      }
    } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
      return null;
    }
    return out.toByteArray();
  }
}
