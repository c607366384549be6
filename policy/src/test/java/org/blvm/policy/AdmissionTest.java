package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdmissionTest {
  private static final String CAPS = "\"read_blockchain\"";

  @TempDir Path tmp;

  private Path modules() {
    return tmp.resolve("modules");
  }

  private Path state() {
    return tmp.resolve("state");
  }

  @Test
  void admit_signedByTrustedKey_grantsDeclaredAndRunsTheStoredCopy() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(10_000, 1);
    Path dir = Fixtures.module(modules(), "fee-watch", "1.0.0", CAPS, bin);
    Fixtures.sign(dir, k, null);

    AdmittedModule a = Fixtures.admission(Fixtures.trusting(k), state()).admit(dir);

    assertEquals("fee-watch", a.manifest().name());
    assertEquals(Set.of(Capability.READ_BLOCKCHAIN), a.grantedCapabilities());
    assertTrue(a.droppedCapabilities().isEmpty());
    assertEquals(Set.of(k.keyId()), a.signerKeyIds());
    assertEquals(Sha256.digest(bin), a.binarySha256());
    Path tree = state().resolve("store/trees").resolve(a.manifest().files().digest().hex());
    assertEquals(tree, a.tree().root());
    assertEquals(tree.resolve("mod.bin"), a.binaryPath());
    assertArrayEquals(bin, Files.readAllBytes(a.binaryPath()));
    assertEquals("r-xr-xr-x", perms(a.binaryPath()));
    assertEquals("r-xr-xr-x", perms(tree));
    assertEquals("rwx------", perms(state().resolve("store/trees")));
    assertEquals("rwx------", perms(state().resolve("store")));
    assertEquals("rwx------", perms(state()));
    assertEquals("rw-------", perms(state().resolve("versions")));
  }

  @Test
  void admit_binarySwappedAfterAdmission_storedCopyIsUnchanged() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(10_000, 2);
    Path dir = Fixtures.module(modules(), "swap", "1.0.0", CAPS, bin);
    Fixtures.sign(dir, k, null);
    AdmittedModule a = Fixtures.admission(Fixtures.trusting(k), state()).admit(dir);

    Files.write(dir.resolve("mod.bin"), Fixtures.binary(10_000, 3));

    assertFalse(a.binaryPath().startsWith(dir));
    assertArrayEquals(bin, Files.readAllBytes(a.binaryPath()));
  }

  @Test
  void admit_unsigned_throwsUnsigned() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "plain", "1.0.0", CAPS);

    UnsignedModuleException e =
        assertThrows(
            UnsignedModuleException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals("plain", e.module());
    assertEquals(dir, e.directory());
  }

  @Test
  void admit_unsignedAndAllowUnsigned_admitsWithoutSigners() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "dev", "1.0.0", CAPS);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                + "[modules.dev]\nallow_unsigned = true\n");

    AdmittedModule a = Fixtures.admission(p, state()).admit(dir);

    assertTrue(a.unsigned());
    assertArrayEquals(
        Files.readAllBytes(dir.resolve("mod.bin")), Files.readAllBytes(a.binaryPath()));
  }

  @Test
  void admit_allowUnsignedWithPresentInvalidSignature_throwsSignatureInvalid() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "dev", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    tamperManifest(dir);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                + "[modules.dev]\nallow_unsigned = true\n");

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals("dev", e.module());
    assertEquals(k.keyId(), e.keyId());
  }

  @Test
  void admit_allowUnsignedWithMalformedSignature_throwsMalformed() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "dev", "1.0.0", CAPS);
    Files.writeString(dir.resolve("module.toml.minisig"), "untrusted comment: x\n");
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                + "[modules.dev]\nallow_unsigned = true\n");

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals(dir.resolve("module.toml.minisig"), e.file());
  }

  @Test
  void admit_wrongKey_throwsUntrustedKey() throws Exception {
    MinisignSecretKey trusted = Fixtures.key();
    MinisignSecretKey other = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, other, null);

    UntrustedKeyException e =
        assertThrows(
            UntrustedKeyException.class,
            () -> Fixtures.admission(Fixtures.trusting(trusted), state()).admit(dir));

    assertEquals("m", e.module());
    assertEquals(other.keyId(), e.keyId());
    assertEquals(dir.resolve("module.toml.minisig"), e.file());
  }

  @Test
  void admit_untrustedSignatureOverUnparsableManifest_refusesBeforeParsing() throws Exception {
    MinisignSecretKey trusted = Fixtures.key();
    MinisignSecretKey other = Fixtures.key();
    Path dir = Files.createDirectories(modules().resolve("m"));
    byte[] junk = "this is = = not toml [[[".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("module.toml"), junk);
    Files.writeString(
        dir.resolve("module.toml.minisig"),
        other.sign(junk, Admission.trustedComment("m", "1.0.0"), "x", true).encoded());

    UntrustedKeyException e =
        assertThrows(
            UntrustedKeyException.class,
            () -> Fixtures.admission(Fixtures.trusting(trusted), state()).admit(dir));

    assertEquals(other.keyId(), e.keyId());
  }

  @Test
  void admit_foreignSignatureOverUnparsableManifest_refusedBeforeParsing() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Files.createDirectories(modules().resolve("m"));
    byte[] junk = "[[[ not toml".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("module.toml"), junk);
    Files.writeString(
        dir.resolve("module.toml.minisig"),
        k.sign(junk, "timestamp:1767225600\tfile:module.toml", "x", true).encoded());

    TrustedCommentMismatchException e =
        assertThrows(
            TrustedCommentMismatchException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals("timestamp:1767225600\tfile:module.toml", e.found());
    assertEquals("blvm-module/1 name=m version=<version>", e.expected(), "nothing to name it by");
  }

  @Test
  void admit_revokedKey_throwsRevokedKey() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    MinisignSecretKey spare = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Policy p =
        Fixtures.policy(
            "revoked = [\""
                + k.keyId()
                + "\"]\n"
                + Fixtures.keyEntry("k", k, "")
                + Fixtures.keyEntry("spare", spare, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n");

    RevokedKeyException e =
        assertThrows(RevokedKeyException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals("m", e.module());
    assertEquals(k.keyId(), e.keyId());
  }

  @Test
  void admit_expiredKey_throwsKeyExpired() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry(
                    "k",
                    k,
                    "not_before = \"2025-01-01T00:00:00Z\"\nnot_after = \"2026-01-01T00:00:00Z\"")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n");

    KeyExpiredException e =
        assertThrows(KeyExpiredException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals(k.keyId(), e.keyId());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), e.notAfter());
    assertEquals(Fixtures.NOW, e.now());
    // The same policy admits while the key is valid.
    Clock before = Clock.fixed(Instant.parse("2025-06-01T00:00:00Z"), ZoneOffset.UTC);
    Admission a = Admission.builder().policy(p).stateDir(state()).clock(before).build();
    assertEquals(Set.of(k.keyId()), a.admit(dir).signerKeyIds());
  }

  @Test
  void admit_keyNotYetValid_throwsKeyExpired() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "not_before = 2027-01-01T00:00:00Z")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n");

    KeyExpiredException e =
        assertThrows(KeyExpiredException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), e.notBefore());
    assertNull(e.notAfter());
  }

  private Policy twoOfThree(MinisignSecretKey a, MinisignSecretKey b, MinisignSecretKey c)
      throws PolicyException {
    return Fixtures.policy(
        "threshold = 2\n"
            + Fixtures.keyEntry("a", a, "")
            + Fixtures.keyEntry("b", b, "")
            + Fixtures.keyEntry("c", c, "")
            + "[defaults]\ncapabilities = [\"read_blockchain\"]\n");
  }

  @Test
  void admit_twoOfThreeWithOneSignature_throwsThresholdNotMet() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, a, "alice");

    ThresholdNotMetException e =
        assertThrows(
            ThresholdNotMetException.class,
            () ->
                Fixtures.admission(twoOfThree(a, Fixtures.key(), Fixtures.key()), state())
                    .admit(dir));

    assertEquals("m", e.module());
    assertEquals(2, e.required());
    assertEquals(1, e.found());
  }

  @Test
  void admit_twoOfThreeWithTwoSigners_admits() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, a, "alice");
    Fixtures.sign(dir, b, "bob");

    AdmittedModule m = Fixtures.admission(twoOfThree(a, b, Fixtures.key()), state()).admit(dir);

    assertEquals(Set.of(a.keyId(), b.keyId()), m.signerKeyIds());
  }

  @Test
  void admit_sameKeyInTwoFiles_countsOnce() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, a, "alice");
    Fixtures.sign(dir, a, "alice-again");

    ThresholdNotMetException e =
        assertThrows(
            ThresholdNotMetException.class,
            () ->
                Fixtures.admission(twoOfThree(a, Fixtures.key(), Fixtures.key()), state())
                    .admit(dir));

    assertEquals(2, e.required());
    assertEquals(1, e.found());
    assertTrue(e.notCounted().get(0).contains("already counted"), e.notCounted().toString());
  }

  @Test
  void admit_tamperedManifestOneByte_throwsSignatureInvalid() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    tamperManifest(dir);

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals("m", e.module());
    assertEquals(k.keyId(), e.keyId());
  }

  @Test
  void admit_invalidSignatureBesideValidOnes_isFatal() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, a, "alice");
    byte[] other = "name = \"x\"\n".getBytes(StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve("module.toml.bob.minisig"),
        b.sign(other, Admission.trustedComment("m", "1.0.0"), "x", true).encoded());

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class,
            () -> Fixtures.admission(Fixtures.trusting(a, b), state()).admit(dir));

    assertEquals(b.keyId(), e.keyId());
  }

  @Test
  void admit_tamperedBinaryOneByte_throwsChangedNamingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(5000, 4);
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS, bin);
    Fixtures.sign(dir, k, null);
    byte[] bad = bin.clone();
    bad[2500] ^= 1;
    Files.write(dir.resolve("mod.bin"), bad);

    FileTreeException e =
        assertThrows(
            FileTreeException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertSame(FileTreeException.Problem.CHANGED, e.problem());
    assertEquals("mod.bin", e.path());
    assertEquals(Sha256.digest(bin).hex(), e.expected());
    assertEquals(Sha256.digest(bad).hex(), e.found());
    assertEquals(dir, e.moduleDir());
    try (var s = Files.list(state().resolve("store/trees"))) {
      assertEquals(0, s.count(), "nothing of the refused module stays in the store");
    }
  }

  @Test
  void check_tamperedBinaryOneByte_throwsChanged() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(5000, 4);
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS, bin);
    Fixtures.sign(dir, k, null);
    bin[0] ^= 1;
    Files.write(dir.resolve("mod.bin"), bin);
    Admission a = Admission.builder().policy(Fixtures.trusting(k)).clock(Fixtures.CLOCK).build();

    FileTreeException e = assertThrows(FileTreeException.class, () -> a.check(dir));

    assertSame(FileTreeException.Problem.CHANGED, e.problem());
    assertEquals(Sha256.digest(bin).hex(), e.found());
  }

  @Test
  void admit_binaryOneByteLonger_throwsSizeReadingOneByteMore() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(5000, 5);
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS, bin);
    Fixtures.sign(dir, k, null);
    Files.write(dir.resolve("mod.bin"), new byte[] {7}, java.nio.file.StandardOpenOption.APPEND);

    FileTreeException e =
        assertThrows(
            FileTreeException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertSame(FileTreeException.Problem.SIZE, e.problem());
    assertEquals("5000", e.expected());
    assertEquals("more than 5000", e.found());
  }

  @Test
  void admit_trustedCommentForAnotherModule_throwsMismatch() throws Exception {
    assertCommentRefused(Admission.trustedComment("other", "1.0.0"));
  }

  @Test
  void admit_trustedCommentForAnotherVersion_throwsMismatch() throws Exception {
    assertCommentRefused(Admission.trustedComment("m", "0.9.0"));
  }

  @Test
  void admit_trustedCommentWithoutPrefix_throwsMismatch() throws Exception {
    assertCommentRefused("timestamp:1767225600\tfile:module.toml\thashed");
  }

  private void assertCommentRefused(String comment) throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    byte[] manifest = Files.readAllBytes(dir.resolve("module.toml"));
    Files.writeString(
        dir.resolve("module.toml.minisig"), k.sign(manifest, comment, "x", true).encoded());

    TrustedCommentMismatchException e =
        assertThrows(
            TrustedCommentMismatchException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(comment, e.found());
    assertEquals(Admission.trustedComment("m", "1.0.0"), e.expected());
    assertTrue(e.getMessage().contains("expected \"blvm-module/1 name=m version=1.0.0\""));
  }

  @Test
  void admit_editedTrustedComment_throwsSignatureInvalid() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Path sig = dir.resolve("module.toml.minisig");
    Files.writeString(sig, Files.readString(sig).replace("version=1.0.0", "version=9.0.0"));

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(k.keyId(), e.keyId());
    assertTrue(e.getMessage().contains("trusted comment"), e.getMessage());
  }

  @Test
  void admit_olderVersionAfterNewer_throwsRollback() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    Path v2 = Fixtures.module(tmp.resolve("v2"), "m", "2.0.0", CAPS);
    Fixtures.sign(v2, k, null);
    Path v1 = Fixtures.module(tmp.resolve("v1"), "m", "1.9.9", CAPS);
    Fixtures.sign(v1, k, null);
    a.admit(v2);

    RollbackException e = assertThrows(RollbackException.class, () -> a.admit(v1));

    assertEquals("m", e.module());
    assertEquals(SemVer.parse("2.0.0"), e.highest());
    assertEquals(SemVer.parse("1.9.9"), e.found());
    // The ratchet survives a new Admission over the same state directory.
    Admission again = Fixtures.admission(Fixtures.trusting(k), state());
    assertThrows(RollbackException.class, () -> again.admit(v1));
  }

  @Test
  void admit_prereleaseAfterRelease_throwsRollback() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    Path rel = Fixtures.module(tmp.resolve("a"), "m", "1.0.0", CAPS);
    Fixtures.sign(rel, k, null);
    Path pre = Fixtures.module(tmp.resolve("b"), "m", "1.0.0-rc.1", CAPS);
    Fixtures.sign(pre, k, null);
    a.admit(rel);

    RollbackException e = assertThrows(RollbackException.class, () -> a.admit(pre));

    assertEquals(SemVer.parse("1.0.0-rc.1"), e.found());
  }

  @Test
  void admit_sameVersionOtherBinary_throwsVersionReused() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    Path one = Fixtures.module(tmp.resolve("a"), "m", "1.0.0", CAPS, Fixtures.binary(100, 1));
    Fixtures.sign(one, k, null);
    Path two = Fixtures.module(tmp.resolve("b"), "m", "1.0.0", CAPS, Fixtures.binary(100, 2));
    Fixtures.sign(two, k, null);
    a.admit(one);

    VersionReusedException e = assertThrows(VersionReusedException.class, () -> a.admit(two));

    assertEquals("binary", e.what());
    assertEquals(SemVer.parse("1.0.0"), e.version());
    assertEquals(Sha256.digest(Fixtures.binary(100, 1)), e.recorded());
    assertEquals(Sha256.digest(Fixtures.binary(100, 2)), e.found());
  }

  @Test
  void admit_sameVersionSameBinaryOtherManifest_throwsVersionReused() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    byte[] bin = Fixtures.binary(100, 1);
    Path one = Fixtures.module(tmp.resolve("a"), "m", "1.0.0", CAPS, bin);
    Fixtures.sign(one, k, null);
    Path two =
        Fixtures.module(
            tmp.resolve("b"), "m", "1.0.0", "\"read_blockchain\", \"subscribe_events\"", bin);
    Fixtures.sign(two, k, null);
    a.admit(one);

    VersionReusedException e = assertThrows(VersionReusedException.class, () -> a.admit(two));

    assertEquals("manifest", e.what());
  }

  @Test
  void admit_sameReleaseTwice_admitsBoth() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);

    AdmittedModule first = a.admit(dir);
    AdmittedModule second = a.admit(dir);

    assertEquals(first.binaryPath(), second.binaryPath());
  }

  @Test
  void admit_capabilityNotAllowed_throwsNamingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", "\"read_blockchain\", \"network_connect\"");
    Fixtures.sign(dir, k, null);

    CapabilityNotAllowedException e =
        assertThrows(
            CapabilityNotAllowedException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals("m", e.module());
    assertEquals(Capability.NETWORK_CONNECT, e.capability());
    assertEquals(Set.of(Capability.NETWORK_CONNECT), e.disallowed());
    assertFalse(Files.exists(state().resolve("versions")), "a refused module is not recorded");
  }

  @Test
  void admit_capabilityNotAllowedWithDrop_grantsTheRest() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", "\"read_blockchain\", \"network_connect\"");
    Fixtures.sign(dir, k, null);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                + "on_disallowed_capability = \"drop\"\n");

    AdmittedModule a = Fixtures.admission(p, state()).admit(dir);

    assertEquals(Set.of(Capability.READ_BLOCKCHAIN), a.grantedCapabilities());
    assertEquals(Set.of(Capability.NETWORK_CONNECT), a.droppedCapabilities());
  }

  @Test
  void admit_moduleSectionNarrowsDefaults_grantsOnlyItsList() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir =
        Fixtures.module(modules(), "m", "1.0.0", "\"read_blockchain\", \"subscribe_events\"");
    Fixtures.sign(dir, k, null);
    Policy p =
        Fixtures.policy(
            Fixtures.keyEntry("k", k, "")
                + "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
                + "[modules.m]\ncapabilities = [\"read_blockchain\"]\n");

    CapabilityNotAllowedException e =
        assertThrows(
            CapabilityNotAllowedException.class, () -> Fixtures.admission(p, state()).admit(dir));

    assertEquals(Capability.SUBSCRIBE_EVENTS, e.capability());
  }

  @Test
  void admit_truncatedSignature_throwsMalformed() throws Exception {
    assertMalformed(s -> s.substring(0, s.length() / 2), "truncated");
  }

  @Test
  void admit_badBase64_throwsMalformed() throws Exception {
    assertMalformed(
        s -> {
          String[] l = s.split("\n");
          l[1] = "!!" + l[1].substring(2);
          return String.join("\n", l) + "\n";
        },
        "base64");
  }

  @Test
  void admit_wrongAlgorithmBytes_throwsMalformed() throws Exception {
    assertMalformed(
        s -> {
          String[] l = s.split("\n");
          byte[] b = java.util.Base64.getDecoder().decode(l[1]);
          b[0] = 'X';
          b[1] = 'Y';
          l[1] = java.util.Base64.getEncoder().encodeToString(b);
          return String.join("\n", l) + "\n";
        },
        "algorithm");
  }

  private void assertMalformed(java.util.function.UnaryOperator<String> damage, String reason)
      throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Path sig = Fixtures.sign(dir, k, null);
    Files.writeString(sig, damage.apply(Files.readString(sig)));

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(sig, e.file());
    assertTrue(e.reason().contains(reason), e.reason());
  }

  @Test
  void admit_keyIdRewrittenToAnotherTrustedKey_throwsSignatureInvalid() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Path sig = Fixtures.sign(dir, a, null);
    Files.writeString(sig, withKeyId(Files.readString(sig), b.keyId()));

    SignatureInvalidException e =
        assertThrows(
            SignatureInvalidException.class,
            () -> Fixtures.admission(Fixtures.trusting(a, b), state()).admit(dir));

    assertEquals(b.keyId(), e.keyId());
  }

  @Test
  void verify_keyIdMismatchWithGivenKey_throwsMalformed() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
    MinisignSignature s = a.sign(msg, "c", "u", true);
    Path f = Path.of("x.minisig");

    MalformedSignatureException e =
        assertThrows(MalformedSignatureException.class, () -> s.verify(b.publicKey(), msg, f, "m"));

    assertEquals(f, e.file());
    assertTrue(e.reason().contains("key id mismatch"), e.reason());
  }

  static String withKeyId(String sigFile, KeyId id) {
    String[] l = sigFile.split("\n");
    byte[] b = java.util.Base64.getDecoder().decode(l[1]);
    System.arraycopy(id.bytes(), 0, b, 2, 8);
    l[1] = java.util.Base64.getEncoder().encodeToString(b);
    return String.join("\n", l) + "\n";
  }

  @Test
  void admit_oversizedManifest_throwsTooLargeWithoutReadingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Files.writeString(
        dir.resolve("module.toml"),
        "#" + "x".repeat(ModuleManifest.MAX_BYTES) + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    long size = Files.size(dir.resolve("module.toml"));

    ManifestTooLargeException e =
        assertThrows(
            ManifestTooLargeException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(ModuleManifest.MAX_BYTES, e.maxBytes());
    assertEquals(size, e.foundBytes());
  }

  @Test
  void admit_nameDiffersFromDirectory_throwsManifest() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Path renamed = Files.move(dir, modules().resolve("n"));

    ManifestException e =
        assertThrows(
            ManifestException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(renamed));

    assertEquals("name", e.key());
  }

  @Test
  void admit_signedWithoutPins_throwsManifestNamingFiles() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    byte[] manifest = Files.readAllBytes(dir.resolve("module.toml"));
    Files.writeString(
        dir.resolve("module.toml.minisig"),
        k.sign(manifest, Admission.trustedComment("m", "1.0.0"), "x", true).encoded());

    ManifestException e =
        assertThrows(
            ManifestException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals("files", e.key());
  }

  @Test
  void admit_symlinkedBinary_throwsSymlinkNamingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Path real = Files.move(dir.resolve("mod.bin"), tmp.resolve("elsewhere.bin"));
    Files.createSymbolicLink(dir.resolve("mod.bin"), real);

    FileTreeException e =
        assertThrows(
            FileTreeException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertSame(FileTreeException.Problem.SYMLINK, e.problem());
    assertEquals("mod.bin", e.path());
    assertEquals(real.toString(), e.found());
  }

  @Test
  void admit_legacySignature_admits() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    byte[] manifest = Files.readAllBytes(dir.resolve("module.toml"));
    MinisignSignature legacy =
        k.sign(manifest, Admission.trustedComment("m", "1.0.0"), "legacy", false);
    Files.writeString(dir.resolve("module.toml.minisig"), legacy.encoded());

    AdmittedModule a = Fixtures.admission(Fixtures.trusting(k), state()).admit(dir);

    assertSame(MinisignSignature.Algorithm.ED_LEGACY, legacy.algorithm());
    assertEquals(Set.of(k.keyId()), a.signerKeyIds());
  }

  @Test
  void admit_corruptVersionFile_refusesEverything() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    a.admit(dir);
    Files.writeString(state().resolve("versions"), VersionRatchet.HEADER + "\nm banana\n");

    AdmissionStateException e = assertThrows(AdmissionStateException.class, () -> a.admit(dir));

    assertEquals(state().resolve("versions"), e.file());
  }

  @Test
  void admit_versionFileWithLooseMode_refused() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Admission a = Fixtures.admission(Fixtures.trusting(k), state());
    a.admit(dir);
    Files.setPosixFilePermissions(
        state().resolve("versions"), PosixFilePermissions.fromString("rw-rw-rw-"));

    AdmissionStateException e = assertThrows(AdmissionStateException.class, () -> a.admit(dir));

    assertTrue(e.getMessage().contains("0600"), e.getMessage());
  }

  @Test
  void check_validModule_writesNothing() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Admission a = Admission.builder().policy(Fixtures.trusting(k)).clock(Fixtures.CLOCK).build();

    AdmittedModule m = a.check(dir);

    assertEquals(dir.resolve("mod.bin"), m.binaryPath());
    assertFalse(Files.exists(state()));
    assertThrows(IllegalStateException.class, () -> a.admit(dir));
  }

  @Test
  void admit_symlinkedSignature_throwsMalformed() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Path sig = Fixtures.sign(dir, k, null);
    Path real = Files.move(sig, tmp.resolve("elsewhere.minisig"));
    Files.createSymbolicLink(sig, real);

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(sig, e.file());
    assertTrue(e.reason().contains("symlink"), e.reason());
  }

  @Test
  void admit_tooManySignatureFiles_throwsMalformed() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Path sig = Fixtures.sign(dir, k, null);
    for (int i = 0; i < Admission.MAX_SIGNATURES; i++) {
      Files.copy(sig, dir.resolve("module.toml.s" + i + ".minisig"));
    }

    MalformedSignatureException e =
        assertThrows(
            MalformedSignatureException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertEquals(dir, e.file());
  }

  @Test
  void admit_otherFileNames_notReadAsSignaturesButPinnedAsFiles() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Files.writeString(dir.resolve("module.toml.a.b.minisig"), "junk");
    Files.writeString(dir.resolve("other.minisig"), "junk");
    Fixtures.sign(dir, k, null);

    AdmittedModule a = Fixtures.admission(Fixtures.trusting(k), state()).admit(dir);

    assertEquals(Set.of(k.keyId()), a.signerKeyIds());
    assertEquals(
        Set.of("mod.bin", "module.toml.a.b.minisig", "other.minisig"),
        a.tree().files().pins().keySet());
  }

  @Test
  void admit_otherFileNameAddedAfterSigning_refusedAsAdded() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(modules(), "m", "1.0.0", CAPS);
    Fixtures.sign(dir, k, null);
    Files.writeString(dir.resolve("other.minisig"), "junk");

    FileTreeException e =
        assertThrows(
            FileTreeException.class,
            () -> Fixtures.admission(Fixtures.trusting(k), state()).admit(dir));

    assertSame(FileTreeException.Problem.ADDED, e.problem());
    assertEquals("other.minisig", e.path());
  }

  private static void tamperManifest(Path dir) throws Exception {
    Path f = dir.resolve("module.toml");
    byte[] b = Files.readAllBytes(f);
    int i = new String(b, StandardCharsets.UTF_8).indexOf("a test module");
    b[i] = 'A';
    Files.write(f, b);
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }
}
