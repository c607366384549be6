package org.blvm.policy;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A minisign signature file (4 lines): untrusted comment, {@code base64(alg || key_id || sig)},
 * trusted comment, {@code base64(global_sig)}. Parsing only checks form; {@link #verify} checks the
 * cryptography.
 */
public final class MinisignSignature {
  /** Largest signature file read. */
  public static final int MAX_FILE_BYTES = 16 * 1024;

  /** The signature algorithm. */
  public enum Algorithm {
    /** "ED": Ed25519 over BLAKE2b-512 of the file (minisign's default, what blvm-sign writes). */
    ED,
    /** "Ed": Ed25519 over the file itself (minisign -l, legacy). */
    ED_LEGACY
  }

  /** Outcome of {@link #verify}. */
  enum Check {
    OK,
    KEY_ID_MISMATCH,
    SIGNATURE_BAD,
    COMMENT_SIGNATURE_BAD
  }

  private final Algorithm algorithm;
  private final KeyId keyId;
  private final byte[] signature;
  private final String trustedComment;
  private final String untrustedComment;
  private final byte[] globalSignature;

  MinisignSignature(
      Algorithm algorithm,
      KeyId keyId,
      byte[] signature,
      String trustedComment,
      String untrustedComment,
      byte[] globalSignature) {
    this.algorithm = algorithm;
    this.keyId = keyId;
    this.signature = signature.clone();
    this.trustedComment = trustedComment;
    this.untrustedComment = untrustedComment;
    this.globalSignature = globalSignature.clone();
  }

  static void checkComment(String comment, String what) {
    if (comment.indexOf('\n') >= 0 || comment.indexOf('\r') >= 0 || comment.indexOf(0) >= 0) {
      throw new IllegalArgumentException(what + " must be one line");
    }
    if (comment.getBytes(StandardCharsets.UTF_8).length > Minisign.TRUSTED_COMMENT_MAX) {
      throw new IllegalArgumentException(what + " is too long");
    }
  }

  /**
   * Parses a signature file strictly: exactly four lines (a final newline is optional, CRLF is
   * tolerated as minisign does), both prefixes, canonical base64 of the right lengths, algorithm
   * "ED" or "Ed".
   *
   * @param file names the file in messages
   */
  public static MinisignSignature parse(Path file, byte[] bytes)
      throws MalformedSignatureException {
    if (bytes.length > MAX_FILE_BYTES) {
      throw new MalformedSignatureException(
          file, "larger than " + MAX_FILE_BYTES + " bytes (" + bytes.length + ")");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedSignatureException(file, "not UTF-8 text");
    }
    String[] lines = text.split("\n", -1);
    int n = lines.length;
    if (n > 0 && lines[n - 1].isEmpty()) {
      n--;
    }
    if (n != 4) {
      throw new MalformedSignatureException(
          file, "expected 4 lines, found " + n + (n < 4 ? " (truncated?)" : ""));
    }
    for (int i = 0; i < 4; i++) {
      if (lines[i].endsWith("\r")) {
        lines[i] = lines[i].substring(0, lines[i].length() - 1);
      }
      if (lines[i].indexOf('\r') >= 0 || lines[i].indexOf(0) >= 0) {
        throw new MalformedSignatureException(file, "line " + (i + 1) + " has a control character");
      }
    }
    if (!lines[0].startsWith(Minisign.UNTRUSTED_PREFIX)) {
      throw new MalformedSignatureException(
          file, "line 1 does not start with \"" + Minisign.UNTRUSTED_PREFIX + "\"");
    }
    byte[] sig = decode(file, lines[1], 2, Minisign.SIG_BYTES);
    Algorithm alg;
    if (Minisign.startsWith(sig, 0, Minisign.ALG_ED_HASHED)) {
      alg = Algorithm.ED;
    } else if (Minisign.startsWith(sig, 0, Minisign.ALG_ED)) {
      alg = Algorithm.ED_LEGACY;
    } else {
      throw new MalformedSignatureException(
          file,
          String.format(
              "unsupported signature algorithm 0x%02x%02x (expected \"ED\" or \"Ed\")",
              sig[0], sig[1]));
    }
    if (!lines[2].startsWith(Minisign.TRUSTED_PREFIX)) {
      throw new MalformedSignatureException(
          file, "line 3 does not start with \"" + Minisign.TRUSTED_PREFIX + "\"");
    }
    String trusted = lines[2].substring(Minisign.TRUSTED_PREFIX.length());
    if (trusted.getBytes(StandardCharsets.UTF_8).length > Minisign.TRUSTED_COMMENT_MAX) {
      throw new MalformedSignatureException(file, "trusted comment is too long");
    }
    byte[] global = decode(file, lines[3], 4, 64);
    return new MinisignSignature(
        alg,
        KeyId.of(sig, 2),
        Arrays.copyOfRange(sig, 10, 74),
        trusted,
        lines[0].substring(Minisign.UNTRUSTED_PREFIX.length()),
        global);
  }

  private static byte[] decode(Path file, String line, int lineNo, int expected)
      throws MalformedSignatureException {
    byte[] b;
    try {
      b = Minisign.base64(line);
    } catch (IllegalArgumentException e) {
      throw new MalformedSignatureException(file, "line " + lineNo + " is not valid base64");
    }
    if (b.length != expected) {
      throw new MalformedSignatureException(
          file, "line " + lineNo + " decodes to " + b.length + " bytes, expected " + expected);
    }
    if (!Minisign.base64(b).equals(line)) {
      throw new MalformedSignatureException(file, "line " + lineNo + " is not canonical base64");
    }
    return b;
  }

  /**
   * Checks this signature over {@code message} with {@code key}: the key ids must match, the
   * signature must verify (over BLAKE2b-512 of the message for "ED"), and so must the global
   * signature over the signature and the trusted comment.
   */
  Check verify(MinisignPublicKey key, byte[] message) {
    if (!key.keyId().equals(keyId)) {
      return Check.KEY_ID_MISMATCH;
    }
    byte[] signed = algorithm == Algorithm.ED ? Minisign.blake2b512(message) : message;
    if (!Minisign.verify(key.params(), signed, signature)) {
      return Check.SIGNATURE_BAD;
    }
    byte[] tc = trustedComment.getBytes(StandardCharsets.UTF_8);
    byte[] global = new byte[64 + tc.length];
    System.arraycopy(signature, 0, global, 0, 64);
    System.arraycopy(tc, 0, global, 64, tc.length);
    if (!Minisign.verify(key.params(), global, globalSignature)) {
      return Check.COMMENT_SIGNATURE_BAD;
    }
    return Check.OK;
  }

  /**
   * Verifies against one public key (as {@code minisign -V -p key} does).
   *
   * @throws MalformedSignatureException when the signature names another key id
   * @throws SignatureInvalidException when the signature or the trusted comment does not verify
   */
  public void verify(MinisignPublicKey key, byte[] message, Path file, String module)
      throws MalformedSignatureException, SignatureInvalidException {
    switch (verify(key, message)) {
      case OK:
        return;
      case KEY_ID_MISMATCH:
        throw new MalformedSignatureException(
            file,
            "key id mismatch: signature names " + keyId + ", the public key is " + key.keyId());
      case SIGNATURE_BAD:
        throw new SignatureInvalidException(module, file, keyId, "signature");
      default:
        throw new SignatureInvalidException(module, file, keyId, "trusted comment signature");
    }
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  public KeyId keyId() {
    return keyId;
  }

  public String trustedComment() {
    return trustedComment;
  }

  public String untrustedComment() {
    return untrustedComment;
  }

  /** The signature file's contents, as minisign writes them. */
  public String encoded() {
    byte[] sig = new byte[Minisign.SIG_BYTES];
    System.arraycopy(
        algorithm == Algorithm.ED ? Minisign.ALG_ED_HASHED : Minisign.ALG_ED, 0, sig, 0, 2);
    keyId.copyTo(sig, 2);
    System.arraycopy(signature, 0, sig, 10, 64);
    return Minisign.UNTRUSTED_PREFIX
        + untrustedComment
        + "\n"
        + Minisign.base64(sig)
        + "\n"
        + Minisign.TRUSTED_PREFIX
        + trustedComment
        + "\n"
        + Minisign.base64(globalSignature)
        + "\n";
  }
}
