package org.blvm.modules.stratum;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.blvm.protocol.Api;

/**
 * One mining job: a block template of the node (docs/simulation.md, "Block templates") with the
 * module's job id. It gives each standard channel its merkle root (the coinbase with the channel's
 * {@code extranonce_prefix} as the whole extranonce, folded with the merkle path: the
 * specification's "Extended Extranonce" conversion into standard jobs), the 80-byte header of a
 * share and the serialized block of a share that meets the network target.
 */
final class Job {
  private static final HexFormat HEX = HexFormat.of();

  private final long id;
  private final long height;
  private final Bytes32 prevHash;
  private final long version;
  private final long bits;
  private final long minNtime;
  private final BigInteger networkTarget;
  private final byte[] coinbasePrefix;
  private final byte[] coinbaseSuffix;
  private final int extranonceSize;
  private final List<Bytes32> merklePath;
  private final List<String> transactions;
  private final long coinbaseValue;

  private Job(long id, Api.BlockTemplate t) {
    this.id = id;
    this.height = t.height();
    this.prevHash = Bytes32.fromDisplayHex(t.prevHash());
    this.version = t.version() & 0xffffffffL;
    this.bits = t.bits();
    this.minNtime = Math.max(t.time(), t.minTime());
    this.networkTarget = new BigInteger(t.target(), 16);
    this.coinbasePrefix = HEX.parseHex(t.coinbasePrefix());
    this.coinbaseSuffix = HEX.parseHex(t.coinbaseSuffix());
    this.extranonceSize = t.extranonceSize();
    this.merklePath = t.merklePath().stream().map(h -> Bytes32.of(HEX.parseHex(h))).toList();
    this.transactions = List.copyOf(t.transactions());
    this.coinbaseValue = t.coinbaseValue();
  }

  /**
   * The job {@code id} for template {@code t}.
   *
   * @throws IllegalArgumentException the template has no coinbase scheme ({@code extranonce_size}
   *     0) or a value that does not fit a header field
   */
  static Job of(long id, Api.BlockTemplate t) {
    if (t.extranonceSize() <= 0 || t.extranonceSize() > 32) {
      throw new IllegalArgumentException(
          "the template's extranonce_size is "
              + Integer.toString(t.extranonceSize())
              + "; a standard channel needs 1 to 32 bytes");
    }
    if (t.bits() < 0 || t.bits() > 0xffffffffL || t.time() > 0xffffffffL) {
      throw new IllegalArgumentException("the template's bits or time do not fit 32 bits");
    }
    return new Job(id, t);
  }

  long id() {
    return id;
  }

  long height() {
    return height;
  }

  Bytes32 prevHash() {
    return prevHash;
  }

  long version() {
    return version;
  }

  long bits() {
    return bits;
  }

  long minNtime() {
    return minNtime;
  }

  BigInteger networkTarget() {
    return networkTarget;
  }

  int extranonceSize() {
    return extranonceSize;
  }

  int txCount() {
    return transactions.size();
  }

  long coinbaseValue() {
    return coinbaseValue;
  }

  private byte[] coinbase(byte[] extranonce) {
    if (extranonce.length != extranonceSize) {
      throw new IllegalArgumentException(
          "extranonce of "
              + Integer.toString(extranonce.length)
              + " bytes; the job needs "
              + Integer.toString(extranonceSize));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(coinbasePrefix);
    out.writeBytes(extranonce);
    out.writeBytes(coinbaseSuffix);
    return out.toByteArray();
  }

  /** The header's merkle root for a channel whose whole extranonce is {@code extranonce}. */
  Bytes32 merkleRoot(byte[] extranonce) {
    byte[] root = sha256d(coinbase(extranonce));
    for (Bytes32 e : merklePath) {
      byte[] pair = new byte[64];
      System.arraycopy(root, 0, pair, 0, 32);
      System.arraycopy(e.bytes(), 0, pair, 32, 32);
      root = sha256d(pair);
    }
    return Bytes32.of(root);
  }

  /** The 80-byte header: version, prev hash, merkle root, ntime, nbits, nonce (little-endian). */
  byte[] header(Bytes32 merkleRoot, long ntime, long headerVersion, long nonce) {
    byte[] h = new byte[80];
    le32(h, 0, headerVersion);
    System.arraycopy(prevHash.bytes(), 0, h, 4, 32);
    System.arraycopy(merkleRoot.bytes(), 0, h, 36, 32);
    le32(h, 68, ntime);
    le32(h, 72, bits);
    le32(h, 76, nonce);
    return h;
  }

  /** The block of {@code header}: header, transaction count, coinbase, the template's rest. */
  String blockHex(byte[] header, byte[] extranonce) {
    StringBuilder sb = new StringBuilder();
    sb.append(HEX.formatHex(header));
    sb.append(HEX.formatHex(compactSize(1L + transactions.size())));
    sb.append(HEX.formatHex(coinbase(extranonce)));
    transactions.forEach(sb::append);
    return sb.toString();
  }

  /** The block hash of a header: SHA256d, internal byte order. */
  static Bytes32 hash(byte[] header) {
    return Bytes32.of(sha256d(header));
  }

  /** A hash in internal byte order read as the little-endian 256-bit number it is compared as. */
  static BigInteger asNumber(Bytes32 hash) {
    return new BigInteger(1, Bytes32.reverse(hash.bytes()));
  }

  static byte[] sha256d(byte[] b) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      return d.digest(d.digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  private static void le32(byte[] b, int at, long v) {
    for (int i = 0; i < 4; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private static byte[] compactSize(long n) {
    if (n < 0xfd) {
      return new byte[] {(byte) n};
    }
    if (n <= 0xffff) {
      return new byte[] {(byte) 0xfd, (byte) n, (byte) (n >>> 8)};
    }
    return new byte[] {
      (byte) 0xfe, (byte) n, (byte) (n >>> 8), (byte) (n >>> 16), (byte) (n >>> 24)
    };
  }
}
