package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.security.auth.Destroyable;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * A minisign secret key: generate, read (decrypting with a password when it is encrypted), write
 * (encrypted with scrypt like {@code minisign -G}, or unencrypted like {@code minisign -G -W}), and
 * sign. Call {@link #destroy()} when done: it zeroes the key material this object holds.
 */
public final class MinisignSecretKey implements Destroyable, AutoCloseable {
  /** The cost minisign uses: libsodium's scrypt "sensitive" limits (1 GiB, several seconds). */
  public static final KdfLimits MINISIGN_DEFAULT = new KdfLimits(33_554_432L, 1_073_741_824L);

  /** scrypt cost as minisign stores it; any value minisign accepts is read back. */
  public record KdfLimits(long opsLimit, long memLimit) {}

  /** Supplies the password only when the key turns out to be encrypted. */
  @FunctionalInterface
  public interface PasswordSource {
    char[] password() throws IOException;
  }

  private final KeyId keyId;
  private final byte[] seed;
  private final MinisignPublicKey publicKey;
  private final boolean wasEncrypted;
  private boolean destroyed;

  private MinisignSecretKey(KeyId keyId, byte[] seed, boolean wasEncrypted) {
    this.keyId = keyId;
    this.seed = seed;
    this.wasEncrypted = wasEncrypted;
    this.publicKey =
        MinisignPublicKey.of(
            keyId, new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
  }

  /** A new key pair with a random key id, as {@code minisign -G} makes. */
  public static MinisignSecretKey generate(SecureRandom random) {
    byte[] id = new byte[8];
    random.nextBytes(id);
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    return new MinisignSecretKey(KeyId.of(id), seed, false);
  }

  public KeyId keyId() {
    return keyId;
  }

  public MinisignPublicKey publicKey() {
    return publicKey;
  }

  /** Whether the file this key was read from was password-encrypted. */
  public boolean wasEncrypted() {
    return wasEncrypted;
  }

  /**
   * Reads a minisign secret key file.
   *
   * @param password asked only if the key is encrypted (kdf "Sc"); the array is zeroed after use
   */
  public static MinisignSecretKey read(Path file, PasswordSource password)
      throws KeyFormatException, IOException {
    String source = file.toString();
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyFormatException(source, "not a regular file (symlinks are refused)");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(4097);
    }
    if (bytes.length > 4096) {
      throw new KeyFormatException(source, "larger than 4096 bytes");
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    Arrays.fill(bytes, (byte) 0);
    String[] lines = text.split("\r?\n", -1);
    if (lines.length < 2 || !lines[0].startsWith(Minisign.UNTRUSTED_PREFIX)) {
      throw new KeyFormatException(
          source, "expected two lines: \"untrusted comment: ...\" and the key");
    }
    for (int i = 2; i < lines.length; i++) {
      if (!lines[i].isEmpty()) {
        throw new KeyFormatException(source, "unexpected content after line 2");
      }
    }
    byte[] b;
    try {
      b = Minisign.base64(lines[1].strip());
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(source, "line 2 is not valid base64");
    }
    try {
      return decode(b, password, source);
    } finally {
      Arrays.fill(b, (byte) 0);
    }
  }

  private static MinisignSecretKey decode(byte[] b, PasswordSource password, String source)
      throws KeyFormatException, IOException {
    if (b.length != Minisign.SK_BYTES) {
      throw new KeyFormatException(
          source, "secret key is " + b.length + " bytes, expected " + Minisign.SK_BYTES);
    }
    if (!Minisign.startsWith(b, 0, Minisign.ALG_ED)) {
      throw new KeyFormatException(source, "unsupported signature algorithm, expected \"Ed\"");
    }
    if (!Minisign.startsWith(b, 4, Minisign.CHK_B2)) {
      throw new KeyFormatException(source, "unsupported checksum function, expected \"B2\"");
    }
    byte[] secret = Arrays.copyOfRange(b, Minisign.SK_SECRET_OFFSET, Minisign.SK_BYTES);
    try {
      boolean encrypted;
      if (Minisign.startsWith(b, 2, Minisign.KDF_SCRYPT)) {
        encrypted = true;
        char[] pw = password.password();
        if (pw == null) {
          throw new KeyFormatException(source, "the key is encrypted and no password was given");
        }
        byte[] pwBytes = Minisign.utf8(pw);
        Arrays.fill(pw, '\0');
        byte[] stream;
        try {
          stream =
              Minisign.keyStream(
                  pwBytes,
                  Arrays.copyOfRange(b, 6, 38),
                  Minisign.le64(b, 38),
                  Minisign.le64(b, 46),
                  source);
        } finally {
          Arrays.fill(pwBytes, (byte) 0);
        }
        for (int i = 0; i < secret.length; i++) {
          secret[i] ^= stream[i];
        }
        Arrays.fill(stream, (byte) 0);
      } else if (Minisign.startsWith(b, 2, Minisign.KDF_NONE)) {
        encrypted = false;
      } else {
        throw new KeyFormatException(
            source, "unsupported key derivation function, expected \"Sc\" or none");
      }
      byte[] id = Arrays.copyOfRange(secret, 0, 8);
      byte[] sk = Arrays.copyOfRange(secret, 8, 72);
      byte[] chk = Arrays.copyOfRange(secret, 72, 104);
      try {
        byte[] expected = Minisign.checksum(Minisign.ALG_ED, id, sk);
        // minisign -W leaves the checksum of an unencrypted key zeroed; it is checked when set.
        boolean zero = Arrays.equals(chk, new byte[32]);
        if (!MessageDigest.isEqual(expected, chk) && (encrypted || !zero)) {
          throw new KeyFormatException(
              source, encrypted ? "wrong password for that key" : "checksum does not match");
        }
        byte[] seed = Arrays.copyOfRange(sk, 0, 32);
        MinisignSecretKey key = new MinisignSecretKey(KeyId.of(id), seed, encrypted);
        if (!MessageDigest.isEqual(key.publicKey.ed25519(), Arrays.copyOfRange(sk, 32, 64))) {
          key.destroy();
          throw new KeyFormatException(
              source, "the public half stored in the secret key does not match its seed");
        }
        return key;
      } finally {
        Arrays.fill(sk, (byte) 0);
        Arrays.fill(chk, (byte) 0);
      }
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * The secret key file's contents.
   *
   * @param password null for an unencrypted key (like {@code minisign -W}); zeroed after use
   * @param limits the scrypt cost to store (minisign reads it from the file)
   */
  public String encode(char[] password, KdfLimits limits, SecureRandom random)
      throws KeyFormatException {
    ensureLive();
    byte[] b = new byte[Minisign.SK_BYTES];
    byte[] sk = new byte[64];
    try {
      System.arraycopy(Minisign.ALG_ED, 0, b, 0, 2);
      System.arraycopy(password == null ? Minisign.KDF_NONE : Minisign.KDF_SCRYPT, 0, b, 2, 2);
      System.arraycopy(Minisign.CHK_B2, 0, b, 4, 2);
      System.arraycopy(seed, 0, sk, 0, 32);
      System.arraycopy(publicKey.ed25519(), 0, sk, 32, 32);
      int o = Minisign.SK_SECRET_OFFSET;
      keyId.copyTo(b, o);
      System.arraycopy(sk, 0, b, o + 8, 64);
      System.arraycopy(Minisign.checksum(Minisign.ALG_ED, keyId.bytes(), sk), 0, b, o + 72, 32);
      if (password != null) {
        byte[] salt = new byte[32];
        random.nextBytes(salt);
        System.arraycopy(salt, 0, b, 6, 32);
        Minisign.le64(b, 38, limits.opsLimit());
        Minisign.le64(b, 46, limits.memLimit());
        byte[] pw = Minisign.utf8(password);
        Arrays.fill(password, '\0');
        byte[] stream;
        try {
          stream =
              Minisign.keyStream(pw, salt, limits.opsLimit(), limits.memLimit(), "new secret key");
        } finally {
          Arrays.fill(pw, (byte) 0);
        }
        for (int i = 0; i < Minisign.SK_SECRET_BYTES; i++) {
          b[o + i] ^= stream[i];
        }
        Arrays.fill(stream, (byte) 0);
      }
      return Minisign.UNTRUSTED_PREFIX
          + "minisign encrypted secret key\n"
          + Minisign.base64(b)
          + "\n";
    } finally {
      Arrays.fill(b, (byte) 0);
      Arrays.fill(sk, (byte) 0);
    }
  }

  /**
   * Signs {@code message} the way {@code minisign -S} does: algorithm "ED" (Ed25519 over the
   * BLAKE2b-512 of the message), or legacy "Ed" (Ed25519 over the message) when {@code prehashed}
   * is false; then the global signature over the signature and the trusted comment.
   */
  public MinisignSignature sign(
      byte[] message, String trustedComment, String untrustedComment, boolean prehashed) {
    ensureLive();
    MinisignSignature.checkComment(trustedComment, "trusted comment");
    MinisignSignature.checkComment(untrustedComment, "untrusted comment");
    Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(seed, 0);
    byte[] sig = Minisign.sign(key, prehashed ? Minisign.blake2b512(message) : message);
    byte[] tc = trustedComment.getBytes(StandardCharsets.UTF_8);
    byte[] global = new byte[64 + tc.length];
    System.arraycopy(sig, 0, global, 0, 64);
    System.arraycopy(tc, 0, global, 64, tc.length);
    return new MinisignSignature(
        prehashed ? MinisignSignature.Algorithm.ED : MinisignSignature.Algorithm.ED_LEGACY,
        keyId,
        sig,
        trustedComment,
        untrustedComment,
        Minisign.sign(key, global));
  }

  private void ensureLive() {
    if (destroyed) {
      throw new IllegalStateException("secret key was destroyed");
    }
  }

  @Override
  public void destroy() {
    Arrays.fill(seed, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public void close() {
    destroy();
  }

  @Override
  public String toString() {
    return "MinisignSecretKey[" + keyId + "]";
  }
}
