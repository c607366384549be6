package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleSignerTest {
  @TempDir Path tmp;

  @Test
  void sign_unpinned_appendsPinKeepsCommentsAndSigns() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    byte[] bin = Fixtures.binary(777, 9);
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "\"read_blockchain\"", bin);

    ModuleSigner.Result r = ModuleSigner.sign(dir, k, null, true);

    String text = Files.readString(dir.resolve("module.toml"));
    assertTrue(text.startsWith("# a test module\n"), text);
    assertTrue(text.endsWith("[binary]\nsha256 = \"" + Sha256.digest(bin) + "\"\nsize = 777\n"));
    assertTrue(r.manifestChanged());
    assertEquals(dir.resolve("module.toml.minisig"), r.signatureFile());
    assertEquals(Admission.trustedComment("m", "1.0.0"), r.signature().trustedComment());
    assertEquals(MinisignSignature.Algorithm.ED, r.signature().algorithm());
  }

  @Test
  void sign_pinInMiddle_replacesOnlyThatTable() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    Files.writeString(
        dir.resolve("module.toml"),
        "[binary]\nsha256 = \"" + "00".repeat(32) + "\"\nsize = 1\n\n[config]\nx = 1 # keep\n",
        java.nio.file.StandardOpenOption.APPEND);

    ModuleSigner.sign(dir, k, "alice", true);

    String text = Files.readString(dir.resolve("module.toml"));
    assertTrue(text.contains("[config]\nx = 1 # keep\n"), text);
    assertFalse(text.contains("00".repeat(32)), text);
    assertEquals(1, ModuleManifest.read(dir.resolve("module.toml")).config().get("x").asInt());
  }

  @Test
  void sign_secondSignerSameBinary_leavesManifestAndFirstSignatureValid() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    ModuleSigner.sign(dir, a, "alice", true);

    ModuleSigner.Result r = ModuleSigner.sign(dir, b, "bob", true);

    assertFalse(r.manifestChanged());
    assertTrue(r.staleSignatures().isEmpty());
    Policy p =
        Fixtures.policy(
            "threshold = 2\n" + Fixtures.keyEntry("a", a, "") + Fixtures.keyEntry("b", b, ""));
    assertEquals(2, Admission.builder().policy(p).build().check(dir).signerKeyIds().size());
  }

  @Test
  void sign_binaryChanged_reportsOtherSignaturesStale() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    MinisignSecretKey b = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    ModuleSigner.sign(dir, a, "alice", true);
    Files.write(dir.resolve("mod.bin"), Fixtures.binary(10, 10));

    ModuleSigner.Result r = ModuleSigner.sign(dir, b, "bob", true);

    assertTrue(r.manifestChanged());
    assertEquals(List.of(dir.resolve("module.toml.alice.minisig")), r.staleSignatures());
  }

  @Test
  void sign_keepManifestWithStalePin_throwsDigestMismatchAndWritesNothing() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    ModuleSigner.sign(dir, a, null, true);
    String before = Files.readString(dir.resolve("module.toml"));
    Files.write(dir.resolve("mod.bin"), Fixtures.binary(4096, 11));

    assertThrows(DigestMismatchException.class, () -> ModuleSigner.sign(dir, a, "again", false));

    assertEquals(before, Files.readString(dir.resolve("module.toml")));
    assertFalse(Files.exists(dir.resolve("module.toml.again.minisig")));
  }

  @Test
  void signatureFile_badLabel_refused() {
    assertThrows(
        IllegalArgumentException.class, () -> ModuleSigner.signatureFile(tmp, "../../etc/x"));
  }
}
