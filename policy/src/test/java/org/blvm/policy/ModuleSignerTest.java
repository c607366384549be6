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
    assertTrue(
        text.endsWith(
            "\n\n[files]\n\"mod.bin\" = { sha256 = \"" + Sha256.digest(bin) + "\", size = 777 }\n"),
        text);
    assertTrue(r.manifestChanged());
    assertEquals(dir.resolve("module.toml.minisig"), r.signatureFile());
    assertEquals(Admission.trustedComment("m", "1.0.0"), r.signature().trustedComment());
    assertEquals(MinisignSignature.Algorithm.ED, r.signature().algorithm());
  }

  @Test
  void sign_olderBinaryPinInMiddle_becomesFilesKeepingTheRest() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    Files.writeString(
        dir.resolve("module.toml"),
        "[binary]\nsha256 = \"" + "00".repeat(32) + "\"\nsize = 1\n\n[config]\nx = 1 # keep\n",
        java.nio.file.StandardOpenOption.APPEND);

    ModuleSigner.sign(dir, k, "alice", true);

    String text = Files.readString(dir.resolve("module.toml"));
    assertTrue(text.contains("[files]\n\"mod.bin\" = { sha256 = "), text);
    assertTrue(text.contains(" }\n\n[config]\nx = 1 # keep\n"), text);
    assertFalse(text.contains("00".repeat(32)), text);
    assertFalse(text.contains("[binary]"), text);
    ModuleManifest m = ModuleManifest.read(dir.resolve("module.toml"));
    assertEquals(1, m.config().get("x").asInt());
    assertEquals(null, m.binary());
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
  void sign_keepManifestWithStalePin_throwsChangedAndWritesNothing() throws Exception {
    MinisignSecretKey a = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    ModuleSigner.sign(dir, a, null, true);
    String before = Files.readString(dir.resolve("module.toml"));
    Files.write(dir.resolve("mod.bin"), Fixtures.binary(4096, 11));

    FileTreeException e =
        assertThrows(FileTreeException.class, () -> ModuleSigner.sign(dir, a, "again", false));
    assertEquals(FileTreeException.Problem.CHANGED, e.problem());
    assertEquals("mod.bin", e.path());

    assertEquals(before, Files.readString(dir.resolve("module.toml")));
    assertFalse(Files.exists(dir.resolve("module.toml.again.minisig")));
  }

  @Test
  void sign_multiFileDirectory_pinsEveryFileButManifestAndSignatures() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    Files.createDirectories(dir.resolve("lib/deep"));
    Files.writeString(dir.resolve("lib/util.py"), "x = 1\n");
    Files.writeString(dir.resolve("lib/deep/data.json"), "{}");
    Files.writeString(dir.resolve("module.toml.old.minisig"), "not read");

    ModuleSigner.Result r = ModuleSigner.sign(dir, k, null, true);

    assertEquals(
        List.of("lib/deep/data.json", "lib/util.py", "mod.bin"),
        List.copyOf(r.manifest().files().pins().keySet()));
    assertEquals(
        Sha256.digest("x = 1\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        r.manifest().files().pin("lib/util.py").orElseThrow().sha256());
    assertEquals(List.of(dir.resolve("module.toml.old.minisig")), r.staleSignatures());
  }

  @Test
  void sign_symlinkInTheDirectory_refusedNamingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    Files.createDirectories(dir.resolve("lib"));
    Files.createSymbolicLink(dir.resolve("lib/passwd"), Path.of("/etc/passwd"));
    String before = Files.readString(dir.resolve("module.toml"));

    FileTreeException e =
        assertThrows(FileTreeException.class, () -> ModuleSigner.sign(dir, k, null, true));

    assertEquals(FileTreeException.Problem.SYMLINK, e.problem());
    assertEquals("lib/passwd", e.path());
    assertEquals(before, Files.readString(dir.resolve("module.toml")));
    assertFalse(Files.exists(dir.resolve("module.toml.minisig")));
  }

  @Test
  void sign_fileNameNotAllowed_refusedNamingIt() throws Exception {
    MinisignSecretKey k = Fixtures.key();
    Path dir = Fixtures.module(tmp, "m", "1.0.0", "");
    Files.writeString(dir.resolve("read me.txt"), "spaces are not module file names");

    FileTreeException e =
        assertThrows(FileTreeException.class, () -> ModuleSigner.sign(dir, k, null, true));

    assertEquals(FileTreeException.Problem.NAME, e.problem());
    assertEquals("read me.txt", e.path());
  }

  @Test
  void signatureFile_badLabel_refused() {
    assertThrows(
        IllegalArgumentException.class, () -> ModuleSigner.signatureFile(tmp, "../../etc/x"));
  }
}
