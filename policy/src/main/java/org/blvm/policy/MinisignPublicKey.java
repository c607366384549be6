package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * A minisign public key: {@code base64("Ed" || key_id[8] || pk[32])}, the string {@code minisign
 * -G} prints and that policy files list.
 */
public final class MinisignPublicKey {
  private final KeyId keyId;
  private final byte[] pk;
  private final Ed25519PublicKeyParameters params;

  private MinisignPublicKey(KeyId keyId, byte[] pk) {
    this.keyId = keyId;
    this.pk = pk;
    this.params = new Ed25519PublicKeyParameters(pk, 0);
  }

  static MinisignPublicKey of(KeyId keyId, byte[] pk) {
    return new MinisignPublicKey(keyId, pk.clone());
  }

  /**
   * Parses the base64 string (second line of a {@code .pub} file).
   *
   * @param source names the origin in messages (file or policy key)
   */
  public static MinisignPublicKey parse(String base64, String source) throws KeyFormatException {
    byte[] b;
    try {
      b = Minisign.base64(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(source, "public key is not valid base64: " + e.getMessage());
    }
    if (b.length != Minisign.PK_BYTES) {
      throw new KeyFormatException(
          source, "public key is " + b.length + " bytes, expected " + Minisign.PK_BYTES);
    }
    if (!Minisign.startsWith(b, 0, Minisign.ALG_ED)) {
      throw new KeyFormatException(
          source,
          "unsupported public key algorithm 0x"
              + String.format("%02x%02x", b[0], b[1])
              + ", expected \"Ed\"");
    }
    try {
      return new MinisignPublicKey(KeyId.of(b, 2), Arrays.copyOfRange(b, 10, 42));
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(source, "not an Ed25519 public key: " + e.getMessage());
    }
  }

  /** Reads a minisign {@code .pub} file (untrusted comment line, then the key). */
  public static MinisignPublicKey read(Path file) throws KeyFormatException, IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(4097);
    }
    if (bytes.length > 4096) {
      throw new KeyFormatException(file.toString(), "larger than 4096 bytes");
    }
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1);
    int n = lines.length;
    while (n > 0 && lines[n - 1].isEmpty()) {
      n--;
    }
    if (n == 1 && !lines[0].startsWith(Minisign.UNTRUSTED_PREFIX)) {
      return parse(lines[0], file.toString());
    }
    if (n != 2 || !lines[0].startsWith(Minisign.UNTRUSTED_PREFIX)) {
      throw new KeyFormatException(
          file.toString(), "expected two lines: \"untrusted comment: ...\" and the key");
    }
    return parse(lines[1], file.toString());
  }

  public KeyId keyId() {
    return keyId;
  }

  /** The 32-byte Ed25519 public key (copied). */
  public byte[] ed25519() {
    return pk.clone();
  }

  Ed25519PublicKeyParameters params() {
    return params;
  }

  /** The base64 string, as in policy files and {@code minisign -P}. */
  public String encoded() {
    byte[] b = new byte[Minisign.PK_BYTES];
    System.arraycopy(Minisign.ALG_ED, 0, b, 0, 2);
    keyId.copyTo(b, 2);
    System.arraycopy(pk, 0, b, 10, 32);
    return Minisign.base64(b);
  }

  /** The contents of a {@code .pub} file exactly as minisign writes it. */
  public String fileContent() {
    return Minisign.UNTRUSTED_PREFIX + "minisign public key " + keyId + "\n" + encoded() + "\n";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MinisignPublicKey
        && keyId.equals(((MinisignPublicKey) o).keyId)
        && Arrays.equals(pk, ((MinisignPublicKey) o).pk);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode() * 31 + Arrays.hashCode(pk);
  }

  @Override
  public String toString() {
    return encoded();
  }
}
