package org.blvm.policy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz targets (Jazzer) for the minisign formats: public keys (policy files, {@code
 * .pub} files), signature files (next to every signed manifest) and secret key files (read by
 * {@code blvm-sign}). Invariants: only the parsers' checked exceptions escape ({@link
 * KeyFormatException}, {@link MalformedSignatureException}, and {@link SignatureInvalidException}
 * from verifying), each naming its source; what parses re-encodes to something that parses to the
 * same value.
 *
 * <p>No key material is committed: the seeds below are made from keys generated when the tests run
 * (new ones on every run), so a signature seed verifies only within that run. A secret key is read
 * with a password only when the scrypt cost stored in it is small (N ≤ 2^14, p ≤ 2) or outside the
 * accepted bounds (refused before scrypt runs): minisign's own cost (N = 2^20, 1 GiB, seconds) is
 * by design and would only measure scrypt.
 *
 * <p>Regression inputs: {@code
 * src/test/resources/org/blvm/policy/MinisignFuzzTestInputs/<method>/}; {@code fuzz/run} fuzzes
 * them with libFuzzer's limit of 1 s per input.
 */
final class MinisignFuzzTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final MinisignSecretKey SIGNER = MinisignSecretKey.generate(RANDOM);
  private static final byte[] MESSAGE = "name = \"m\"\n".getBytes(UTF_8);
  private static final String PASSWORD = "fuzz";

  /** Cheap scrypt: N = 2^10. */
  private static final MinisignSecretKey.KdfLimits CHEAP =
      new MinisignSecretKey.KdfLimits(32_768, 1 << 20);

  /** Most scrypt work the harness lets a password start. */
  private static final int MAX_FUZZ_N_LOG2 = 14;

  @TempDir static Path dir;

  // ------------------------------------------------------------------ public keys

  /** A {@code .pub} file, and its last line as the base64 string a policy file holds. */
  @MethodSource("publicKeySeeds")
  @FuzzTest
  void publicKey(byte[] input) {
    Path file = write("key.pub", input);
    MinisignPublicKey fromFile = null;
    try {
      fromFile = MinisignPublicKey.read(file);
    } catch (KeyFormatException e) {
      FuzzChecks.rejection(e, e.source(), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String text = new String(input, UTF_8);
    String line = text.substring(text.lastIndexOf('\n', Math.max(0, text.length() - 2)) + 1);
    MinisignPublicKey parsed = null;
    try {
      parsed = MinisignPublicKey.parse(line, "policy");
    } catch (KeyFormatException e) {
      FuzzChecks.rejection(e, e.source(), "policy");
    }
    for (MinisignPublicKey k : new MinisignPublicKey[] {fromFile, parsed}) {
      if (k == null) {
        continue;
      }
      try {
        assertEquals(k, MinisignPublicKey.parse(k.encoded(), "again"));
        assertEquals(
            k, MinisignPublicKey.read(write("again.pub", k.fileContent().getBytes(UTF_8))));
      } catch (KeyFormatException | IOException e) {
        throw new AssertionError("a parsed key does not parse again: " + e.getMessage(), e);
      }
    }
  }

  static Stream<byte[]> publicKeySeeds() {
    MinisignPublicKey k = SIGNER.publicKey();
    return Stream.of(k.fileContent(), k.encoded(), k.encoded() + "\r\n")
        .map(s -> s.getBytes(UTF_8));
  }

  // ------------------------------------------------------------------ signatures

  /** A {@code .minisig} file, verified against this run's key over a fixed message. */
  @MethodSource("signatureSeeds")
  @FuzzTest
  void signature(byte[] input) {
    Path file = Path.of("fuzz", "module.toml.minisig");
    MinisignSignature sig;
    try {
      sig = MinisignSignature.parse(file, input);
    } catch (MalformedSignatureException e) {
      FuzzChecks.rejection(e, e.file(), file);
      return;
    }
    String encoded = sig.encoded();
    try {
      MinisignSignature again = MinisignSignature.parse(file, encoded.getBytes(UTF_8));
      assertEquals(encoded, again.encoded());
      assertEquals(sig.keyId(), again.keyId());
      assertEquals(sig.trustedComment(), again.trustedComment());
    } catch (MalformedSignatureException e) {
      throw new AssertionError("an encoded signature does not parse: " + e.getMessage(), e);
    }
    try {
      sig.verify(SIGNER.publicKey(), MESSAGE, file, "m");
    } catch (MalformedSignatureException e) {
      FuzzChecks.rejection(e, e.file(), file);
    } catch (SignatureInvalidException e) {
      assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    }
  }

  static Stream<byte[]> signatureSeeds() {
    List<String> seeds = new ArrayList<>();
    seeds.add(SIGNER.sign(MESSAGE, "timestamp:1 file:module.toml", "signature", true).encoded());
    seeds.add(SIGNER.sign(MESSAGE, "", "legacy", false).encoded());
    seeds.add(SIGNER.sign(MESSAGE, "t", "c", true).encoded().replace("\n", "\r\n"));
    return seeds.stream().map(s -> s.getBytes(UTF_8));
  }

  // ------------------------------------------------------------------ secret keys

  /** A secret key file, read with the password {@value #PASSWORD} when its scrypt cost allows. */
  @MethodSource("secretKeySeeds")
  @FuzzTest
  void secretKey(byte[] input) {
    Path file = write("key.sec", input);
    MinisignSecretKey key;
    try {
      key = MinisignSecretKey.read(file, () -> passwordFor(input));
    } catch (KeyFormatException e) {
      FuzzChecks.rejection(e, e.source(), file.toString());
      return;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (key) {
      Path plain = write("plain.sec", key.encode(null, CHEAP, RANDOM).getBytes(UTF_8));
      try (MinisignSecretKey again = MinisignSecretKey.read(plain, () -> null)) {
        assertEquals(key.keyId(), again.keyId());
        assertArrayEquals(key.publicKey().ed25519(), again.publicKey().ed25519());
      }
    } catch (KeyFormatException | IOException e) {
      throw new AssertionError("a key that was read does not read again: " + e.getMessage(), e);
    }
  }

  static Stream<byte[]> secretKeySeeds() {
    try {
      List<String> seeds = new ArrayList<>();
      seeds.add(MinisignSecretKey.generate(RANDOM).encode(null, CHEAP, RANDOM));
      seeds.add(MinisignSecretKey.generate(RANDOM).encode(PASSWORD.toCharArray(), CHEAP, RANDOM));
      seeds.add(MinisignSecretKey.generate(RANDOM).encode("other".toCharArray(), CHEAP, RANDOM));
      return seeds.stream().map(s -> s.getBytes(UTF_8));
    } catch (KeyFormatException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The password when the scrypt cost stored in the key (line 2, bytes 38..53) is small or is
   * refused before scrypt runs; null (no password) for an accepted but expensive cost.
   */
  private static char[] passwordFor(byte[] input) {
    String[] lines = new String(input, UTF_8).split("\r?\n", -1);
    byte[] b;
    try {
      b = Base64.getDecoder().decode(lines[1].strip());
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      fail("the password was asked for a key whose second line is not base64", e);
      return null;
    }
    Minisign.ScryptParams p = Minisign.pickParams(Minisign.le64(b, 38), Minisign.le64(b, 46));
    boolean refused = p.nLog2() > Minisign.MAX_N_LOG2 || p.p() < 1 || p.p() > 16;
    boolean cheap = p.nLog2() <= MAX_FUZZ_N_LOG2 && p.p() <= 2;
    return refused || cheap ? PASSWORD.toCharArray() : null;
  }

  private static Path write(String name, byte[] content) {
    try {
      return Files.write(dir.resolve(name), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
