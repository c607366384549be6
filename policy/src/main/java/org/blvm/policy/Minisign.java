package org.blvm.policy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The minisign formats and primitives, with Bouncy Castle's low-level API (no JCA provider is
 * registered). Layouts, from minisign's source (src/minisign.h, src/minisign.c):
 *
 * <pre>
 * public key  = "Ed" || key_id[8] || pk[32]
 * signature   = alg[2] || key_id[8] || sig[64]      alg "ED": sig over BLAKE2b-512(file)
 *                                                   alg "Ed": sig over the file (legacy)
 * global sig  = Ed25519(sig[64] || trusted_comment)
 * secret key  = "Ed" || kdf_alg[2] || "B2" || salt[32] || opslimit(le64) || memlimit(le64)
 *               || (key_id[8] || sk[64] || chk[32]) XOR scrypt(password, salt, ops, mem)[104]
 *               kdf_alg "Sc" (scrypt) or 0x0000 (unencrypted, minisign -W)
 *               sk = seed[32] || pk[32]; chk = BLAKE2b-256(sig_alg || key_id || sk)
 * </pre>
 */
final class Minisign {
  static final String UNTRUSTED_PREFIX = "untrusted comment: ";
  static final String TRUSTED_PREFIX = "trusted comment: ";
  static final byte[] ALG_ED = {'E', 'd'};
  static final byte[] ALG_ED_HASHED = {'E', 'D'};
  static final byte[] KDF_SCRYPT = {'S', 'c'};
  static final byte[] KDF_NONE = {0, 0};
  static final byte[] CHK_B2 = {'B', '2'};
  static final int PK_BYTES = 2 + 8 + 32;
  static final int SIG_BYTES = 2 + 8 + 64;
  static final int SK_BYTES = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;
  static final int SK_SECRET_OFFSET = 54;
  static final int SK_SECRET_BYTES = 8 + 64 + 32;

  /** minisign's TRUSTEDCOMMENTMAXBYTES minus the prefix and the terminator. */
  static final int TRUSTED_COMMENT_MAX = 8192 - TRUSTED_PREFIX.length() - 1;

  /** The most memory a secret key's KDF may ask for: minisign's default, 1 GiB (N = 2^20). */
  static final int MAX_N_LOG2 = 20;

  private Minisign() {}

  static byte[] blake2b512(byte[] data) {
    Blake2bDigest d = new Blake2bDigest(512);
    d.update(data, 0, data.length);
    byte[] out = new byte[64];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] checksum(byte[] sigAlg, byte[] keyId, byte[] sk) {
    Blake2bDigest d = new Blake2bDigest(256);
    d.update(sigAlg, 0, 2);
    d.update(keyId, 0, 8);
    d.update(sk, 0, 64);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] sign(Ed25519PrivateKeyParameters key, byte[] message) {
    byte[] sig = new byte[64];
    key.sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, sig, 0);
    return sig;
  }

  static boolean verify(Ed25519PublicKeyParameters key, byte[] message, byte[] sig) {
    return key.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, sig, 0);
  }

  /** Decodes standard base64 strictly: valid characters and padding, no whitespace. */
  static byte[] base64(String s) {
    if (s.length() % 4 != 0) {
      throw new IllegalArgumentException("length " + s.length() + " is not a multiple of 4");
    }
    return Base64.getDecoder().decode(s);
  }

  static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  static long le64(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xff);
    }
    return v;
  }

  static void le64(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  /** scrypt parameters libsodium derives from (opslimit, memlimit). */
  record ScryptParams(int nLog2, int r, int p) {}

  /**
   * libsodium's {@code pickparams} for crypto_pwhash_scryptsalsa208sha256: turns minisign's stored
   * opslimit/memlimit into scrypt's N, r, p. Must match bit for bit or keys do not interoperate.
   */
  static ScryptParams pickParams(long opslimit, long memlimit) {
    if (Long.compareUnsigned(opslimit, 32768) < 0) {
      opslimit = 32768;
    }
    int r = 8;
    int nLog2;
    int p;
    if (Long.compareUnsigned(opslimit, Long.divideUnsigned(memlimit, 32)) < 0) {
      p = 1;
      long maxN = Long.divideUnsigned(opslimit, r * 4L);
      for (nLog2 = 1; nLog2 < 63; nLog2++) {
        if (Long.compareUnsigned(1L << nLog2, Long.divideUnsigned(maxN, 2)) > 0) {
          break;
        }
      }
    } else {
      long maxN = Long.divideUnsigned(memlimit, r * 128L);
      for (nLog2 = 1; nLog2 < 63; nLog2++) {
        if (Long.compareUnsigned(1L << nLog2, Long.divideUnsigned(maxN, 2)) > 0) {
          break;
        }
      }
      long maxrp = Long.divideUnsigned(Long.divideUnsigned(opslimit, 4), 1L << nLog2);
      if (Long.compareUnsigned(maxrp, 0x3fffffffL) > 0) {
        maxrp = 0x3fffffffL;
      }
      p = (int) maxrp / r;
    }
    return new ScryptParams(nLog2, r, p);
  }

  /** The XOR key stream for a secret key: scrypt(password, salt) as libsodium computes it. */
  static byte[] keyStream(byte[] password, byte[] salt, long opslimit, long memlimit, String source)
      throws KeyFormatException {
    ScryptParams sp = pickParams(opslimit, memlimit);
    if (sp.nLog2() > MAX_N_LOG2 || sp.p() < 1 || sp.p() > 16) {
      throw new KeyFormatException(
          source,
          "key derivation parameters (opslimit "
              + Long.toUnsignedString(opslimit)
              + ", memlimit "
              + Long.toUnsignedString(memlimit)
              + ") ask for N=2^"
              + sp.nLog2()
              + ", p="
              + sp.p()
              + "; at most N=2^"
              + MAX_N_LOG2
              + ", p=16 are accepted");
    }
    try {
      return SCrypt.generate(password, salt, 1 << sp.nLog2(), sp.r(), sp.p(), SK_SECRET_BYTES);
    } catch (OutOfMemoryError e) {
      // The one large allocation failed and is already unreachable; say what to do.
      throw new KeyFormatException(
          source,
          "not enough memory for scrypt with N=2^"
              + sp.nLog2()
              + " ("
              + ((128L * sp.r() << sp.nLog2()) >> 20)
              + " MiB): give Java more heap, e.g. JAVA_OPTS=-Xmx1536m");
    }
  }

  static byte[] utf8(char[] password) {
    java.nio.ByteBuffer bb = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password));
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    if (bb.hasArray()) {
      java.util.Arrays.fill(bb.array(), (byte) 0);
    }
    return out;
  }

  static boolean startsWith(byte[] b, int off, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (b[off + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
