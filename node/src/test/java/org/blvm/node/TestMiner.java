package org.blvm.node;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.blvm.protocol.Api;

/**
 * A miner written from docs/simulation.md alone, with the JDK only (none of the chain's classes):
 * builds the coinbase from the template, folds the merkle path, grinds the nonce and serializes the
 * block. Its building blocks are open so that tests can build invalid blocks too.
 */
final class TestMiner {
  private static final HexFormat HEX = HexFormat.of();

  private TestMiner() {}

  /** A block from {@code t} that meets its target, as {@code submit_block} wants it. */
  static String mine(Api.BlockTemplate t, long extranonce) {
    byte[] coinbase = coinbase(t, extranonce);
    byte[] root = foldPath(dsha(coinbase), t.merklePath());
    byte[] header = header(t.version(), t.prevHash(), root, t.time(), t.bits());
    grind(header, new BigInteger(t.target(), 16), true);
    return block(header, coinbase, t.transactions());
  }

  static byte[] coinbase(Api.BlockTemplate t, long extranonce) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(HEX.parseHex(t.coinbasePrefix()));
    byte[] en = new byte[t.extranonceSize()];
    for (int i = 0; i < en.length && i < 8; i++) {
      en[i] = (byte) (extranonce >>> (8 * i));
    }
    out.writeBytes(en);
    out.writeBytes(HEX.parseHex(t.coinbaseSuffix()));
    return out.toByteArray();
  }

  static byte[] foldPath(byte[] leaf, List<String> path) {
    byte[] root = leaf;
    for (String h : path) {
      root = dsha(concat(root, HEX.parseHex(h)));
    }
    return root;
  }

  /** An 80-byte header with nonce 0: prev hash and root in internal (serialized) order. */
  static byte[] header(
      int version, String prevHashDisplay, byte[] rootInternal, long time, long bits) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    le32(out, version);
    out.writeBytes(reverse(HEX.parseHex(prevHashDisplay)));
    out.writeBytes(rootInternal);
    le32(out, time);
    le32(out, bits);
    le32(out, 0);
    return out.toByteArray();
  }

  /** Sets the header's nonce to the first one whose hash meets (or, if not, misses) the target. */
  static void grind(byte[] header, BigInteger target, boolean meet) {
    for (long n = 0; n <= 0xffffffffL; n++) {
      header[76] = (byte) n;
      header[77] = (byte) (n >>> 8);
      header[78] = (byte) (n >>> 16);
      header[79] = (byte) (n >>> 24);
      if (meets(header, target) == meet) {
        return;
      }
    }
    throw new AssertionError("no nonce");
  }

  static boolean meets(byte[] header, BigInteger target) {
    return new BigInteger(1, reverse(dsha(header))).compareTo(target) <= 0;
  }

  /** The display-order hash of a header. */
  static String hash(byte[] header) {
    return HEX.formatHex(reverse(dsha(header)));
  }

  static String block(byte[] header, byte[] coinbase, List<String> transactions) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header);
    int n = 1 + transactions.size();
    if (n < 0xfd) {
      out.write(n);
    } else {
      out.write(0xfd);
      out.write(n & 0xff);
      out.write(n >>> 8);
    }
    out.writeBytes(coinbase);
    for (String tx : transactions) {
      out.writeBytes(HEX.parseHex(tx));
    }
    return HEX.formatHex(out.toByteArray());
  }

  static byte[] dsha(byte[] b) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return md.digest(md.digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  static void le32(ByteArrayOutputStream out, long v) {
    for (int i = 0; i < 4; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
  }
}
