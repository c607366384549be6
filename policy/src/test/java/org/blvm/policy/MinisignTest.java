package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MinisignTest {
  // Known answers made by the real minisign 0.11 (public key and signatures only):
  //   minisign -G -W; printf 'name = "kat"\n' > kat.msg
  //   minisign -S -m kat.msg -t 'blvm-module/1 name=kat version=1.0.0' -c kat     ("ED")
  //   minisign -S -l -m kat.msg -t legacy                                          ("Ed")
  private static final String KAT_PUB = "RWTWWK8B5cqF3Pslb++Z0y8SEdHyosjD8uRAkkBc2McVnsJPQV9dqMyx";
  private static final byte[] KAT_MSG = "name = \"kat\"\n".getBytes(StandardCharsets.UTF_8);
  private static final String KAT_ED =
      "untrusted comment: kat\n"
          + "RUTWWK8B5cqF3LDQPBBqNduImnw6+ux1v5pAflGqlvII6LwlEtJpNkUEOK1vGfUAnpHZ8wU6nti6LesoVInhtIyJBHXNCG83Wwk=\n"
          + "trusted comment: blvm-module/1 name=kat version=1.0.0\n"
          + "rqBTj2n7xavnPfhejGw0b+iDeKaxUVeLwghwSbaxbNbGbxg/oT+cAldGfkLs3hjGw4wAhCylBgAZw2+ud5t9DA==\n";
  private static final String KAT_ED_LEGACY =
      "untrusted comment: signature from minisign secret key\n"
          + "RWTWWK8B5cqF3NKR+qkDSwBFDoMpGLz9YNw4ZTStSzjpBpUXhU+/7j36s8IiCX4/YyzryyWm68xzrelobDH98+mw1VV4PrNffAE=\n"
          + "trusted comment: legacy\n"
          + "yYvwhjZGdZijjZ1MhP/dydCz9YRMc9egylxHNbJUeBq121CZDqQ9IjZ9PskD8+GtMRSr9rLM/Jhbi46QnzyjDg==\n";
  private static final Path F = Path.of("kat.minisig");

  @TempDir Path tmp;

  @Test
  void parse_minisignPublicKey_keyIdPrintedLikeMinisign() throws Exception {
    MinisignPublicKey pk = MinisignPublicKey.parse(KAT_PUB, "kat");

    assertEquals("DC85CAE501AF58D6", pk.keyId().toString());
    assertEquals(KAT_PUB, pk.encoded());
    assertEquals(pk.keyId(), KeyId.parse("DC85CAE501AF58D6"));
  }

  @Test
  void verify_minisignPrehashedSignature_ok() throws Exception {
    MinisignSignature s = MinisignSignature.parse(F, KAT_ED.getBytes(StandardCharsets.UTF_8));

    assertEquals(MinisignSignature.Algorithm.ED, s.algorithm());
    assertEquals("blvm-module/1 name=kat version=1.0.0", s.trustedComment());
    s.verify(MinisignPublicKey.parse(KAT_PUB, "kat"), KAT_MSG, F, "kat");
    assertEquals(KAT_ED, s.encoded());
  }

  @Test
  void verify_minisignLegacySignature_ok() throws Exception {
    MinisignSignature s =
        MinisignSignature.parse(F, KAT_ED_LEGACY.getBytes(StandardCharsets.UTF_8));

    assertEquals(MinisignSignature.Algorithm.ED_LEGACY, s.algorithm());
    s.verify(MinisignPublicKey.parse(KAT_PUB, "kat"), KAT_MSG, F, "kat");
  }

  @Test
  void verify_minisignSignatureOverOtherMessage_throwsSignatureInvalid() throws Exception {
    MinisignSignature s = MinisignSignature.parse(F, KAT_ED.getBytes(StandardCharsets.UTF_8));
    byte[] other = KAT_MSG.clone();
    other[0] ^= 1;

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class,
            () -> s.verify(MinisignPublicKey.parse(KAT_PUB, "kat"), other, F, "kat"));

    assertEquals(KeyId.parse("DC85CAE501AF58D6"), e.keyId());
  }

  @Test
  void sign_thenVerify_roundTripsBothAlgorithms() throws Exception {
    try (MinisignSecretKey k = Fixtures.key()) {
      for (boolean prehashed : new boolean[] {true, false}) {
        MinisignSignature s = k.sign(KAT_MSG, "tc", "uc", prehashed);
        MinisignSignature back =
            MinisignSignature.parse(F, s.encoded().getBytes(StandardCharsets.UTF_8));
        back.verify(k.publicKey(), KAT_MSG, F, "m");
        assertEquals(MinisignSignature.Check.OK, back.verify(k.publicKey(), KAT_MSG));
      }
    }
  }

  @Test
  void sign_multiLineComment_refused() {
    MinisignSecretKey k = Fixtures.key();

    assertThrows(IllegalArgumentException.class, () -> k.sign(KAT_MSG, "a\nb", "u", true));
  }

  @Test
  void parse_fiveLines_throwsMalformed() {
    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () ->
                MinisignSignature.parse(F, (KAT_ED + "extra\n").getBytes(StandardCharsets.UTF_8)));

    assertTrue(e.reason().contains("expected 4 lines"), e.reason());
  }

  @Test
  void parse_globalSignatureWrongLength_throwsMalformed() {
    String bad = KAT_ED.replace("t9DA==", "t9DAAA");

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () -> MinisignSignature.parse(F, bad.getBytes(StandardCharsets.UTF_8)));

    assertTrue(e.reason().contains("line 4"), e.reason());
  }

  @Test
  void parse_missingTrustedPrefix_throwsMalformed() {
    String bad = KAT_ED.replace("\ntrusted comment: ", "\ntrusted: ");

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () -> MinisignSignature.parse(F, bad.getBytes(StandardCharsets.UTF_8)));

    assertTrue(e.reason().contains("line 3"), e.reason());
  }

  @Test
  void parse_crlfLineEnds_acceptedLikeMinisign() throws Exception {
    MinisignSignature s =
        MinisignSignature.parse(F, KAT_ED.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));

    s.verify(MinisignPublicKey.parse(KAT_PUB, "kat"), KAT_MSG, F, "kat");
  }

  @Test
  void parsePublicKey_wrongAlgorithm_throwsKeyFormat() {
    byte[] b = java.util.Base64.getDecoder().decode(KAT_PUB);
    b[1] = 'X';

    KeyFormatException e =
        assertThrows(
            KeyFormatException.class,
            () -> MinisignPublicKey.parse(java.util.Base64.getEncoder().encodeToString(b), "p"));

    assertTrue(e.reason().contains("algorithm"), e.reason());
  }

  @Test
  void pickParams_minisignDefault_isN20r8p1() {
    Minisign.ScryptParams p =
        Minisign.pickParams(
            MinisignSecretKey.MINISIGN_DEFAULT.opsLimit(),
            MinisignSecretKey.MINISIGN_DEFAULT.memLimit());

    assertEquals(new Minisign.ScryptParams(20, 8, 1), p);
  }

  @Test
  void pickParams_fastTestLimits_matchLibsodium() {
    // opslimit 32768 < memlimit/32: p = 1, N from opslimit: maxN = 32768 / 32 = 1024, the first
    // 2^k above maxN / 2 is 2^10.
    assertEquals(new Minisign.ScryptParams(10, 8, 1), Minisign.pickParams(32_768, 1 << 20));
    // libsodium's interactive limits (524288, 16 MiB): N = 2^14.
    assertEquals(new Minisign.ScryptParams(14, 8, 1), Minisign.pickParams(524_288, 16 << 20));
  }

  @Test
  void secretKey_encryptedRoundTrip_signsWithSameKey() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path f = tmp.resolve("k.key");
    Files.writeString(
        f, k.encode("correct horse".toCharArray(), Fixtures.FAST_KDF, Fixtures.RANDOM));

    MinisignSecretKey back = MinisignSecretKey.read(f, () -> "correct horse".toCharArray());

    assertTrue(back.wasEncrypted());
    assertEquals(k.keyId(), back.keyId());
    assertEquals(k.publicKey(), back.publicKey());
    back.sign(KAT_MSG, "t", "u", true).verify(k.publicKey(), KAT_MSG, F, "m");
  }

  @Test
  void secretKey_wrongPassword_throwsKeyFormat() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path f = tmp.resolve("k.key");
    Files.writeString(f, k.encode("right".toCharArray(), Fixtures.FAST_KDF, Fixtures.RANDOM));

    KeyFormatException e =
        assertThrows(
            KeyFormatException.class, () -> MinisignSecretKey.read(f, () -> "wrong".toCharArray()));

    assertEquals("wrong password for that key", e.reason());
    assertFalse(e.getMessage().contains("wrong\""));
  }

  @Test
  void secretKey_unencrypted_readsWithoutAskingForPassword() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path f = tmp.resolve("k.key");
    Files.writeString(f, k.encode(null, null, Fixtures.RANDOM));

    MinisignSecretKey back =
        MinisignSecretKey.read(
            f,
            () -> {
              throw new AssertionError("asked for a password");
            });

    assertFalse(back.wasEncrypted());
    assertEquals(k.publicKey(), back.publicKey());
  }

  @Test
  void secretKey_hugeKdfParameters_refusedBeforeDerivation() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path f = tmp.resolve("k.key");
    String text = k.encode("pw".toCharArray(), Fixtures.FAST_KDF, Fixtures.RANDOM);
    byte[] b = java.util.Base64.getDecoder().decode(text.split("\n")[1]);
    Minisign.le64(b, 46, 1L << 40);
    Minisign.le64(b, 38, 1L << 40);
    Files.writeString(
        f, "untrusted comment: x\n" + java.util.Base64.getEncoder().encodeToString(b) + "\n");

    KeyFormatException e =
        assertThrows(
            KeyFormatException.class, () -> MinisignSecretKey.read(f, () -> "pw".toCharArray()));

    assertTrue(e.reason().contains("at most N=2^20"), e.reason());
  }

  @Test
  void destroy_thenSign_refused() {
    MinisignSecretKey k = Fixtures.key();
    k.destroy();

    assertThrows(IllegalStateException.class, () -> k.sign(KAT_MSG, "t", "u", true));
  }
}
