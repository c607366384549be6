package org.blvm.node;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Double SHA-256 and Bitcoin's two byte orders for hashes: <em>internal</em> order is the digest as
 * computed (what headers, outpoints and merkle trees contain); <em>display</em> order is that
 * reversed, as Bitcoin Core prints block hashes and txids (and as every 64-hex hash of the NodeAPI
 * is written).
 */
final class Hashes {
  private static final HexFormat HEX = HexFormat.of();

  private Hashes() {}

  static byte[] sha256d(byte[] data) {
    MessageDigest md = sha256();
    return md.digest(md.digest(data));
  }

  static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  /** Display-order hex of an internal-order hash. */
  static String display(byte[] internal) {
    return HEX.formatHex(reverse(internal));
  }

  /** Internal-order bytes of a display-order hex hash. */
  static byte[] internal(String display) {
    return reverse(HEX.parseHex(display));
  }

  /** Bytes of lowercase hex; IllegalArgumentException when it is not hex. */
  static byte[] fromHex(String hex) {
    return HEX.parseHex(hex);
  }

  static String hex(byte[] b) {
    return HEX.formatHex(b);
  }

  /** Bitcoin's merkle root of internal-order leaves (an odd level repeats its last entry). */
  static byte[] merkleRoot(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      throw new IllegalArgumentException("a merkle tree needs at least one leaf");
    }
    List<byte[]> level = leaves;
    while (level.size() > 1) {
      level = nextLevel(level);
    }
    return level.get(0).clone();
  }

  /**
   * The merkle branch of leaf 0 (the coinbase): the sibling at each level, deepest first. Leaf 0
   * itself is not read, so a placeholder may stand in for a coinbase not built yet.
   */
  static List<byte[]> merklePath(List<byte[]> leaves) {
    List<byte[]> path = new ArrayList<>();
    List<byte[]> level = leaves;
    while (level.size() > 1) {
      path.add(level.get(1).clone());
      level = nextLevel(level);
    }
    return path;
  }

  /** The root from leaf 0 and its branch: {@code root = sha256d(root || entry)} per entry. */
  static byte[] foldPath(byte[] leaf, List<byte[]> path) {
    byte[] root = leaf.clone();
    for (byte[] sibling : path) {
      root = sha256d(concat(root, sibling));
    }
    return root;
  }

  private static List<byte[]> nextLevel(List<byte[]> level) {
    List<byte[]> next = new ArrayList<>((level.size() + 1) / 2);
    for (int i = 0; i < level.size(); i += 2) {
      byte[] left = level.get(i);
      byte[] right = i + 1 < level.size() ? level.get(i + 1) : left;
      next.add(sha256d(concat(left, right)));
    }
    return next;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** A fresh SHA-256 digest, for loops that hash many times. */
  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
