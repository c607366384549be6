package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.blvm.policy.MinisignPublicKey;
import org.blvm.policy.MinisignSecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlvmSignTest {
  @TempDir Path tmp;

  static Path module(Path root, String name, String version) throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    byte[] bin = new byte[3000];
    new SecureRandom().nextBytes(bin);
    Files.write(dir.resolve("mod.bin"), bin);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \""
            + version
            + "\"\nruntime = \"native\"\nentry = \"mod.bin\"\n"
            + "capabilities = [\"read_blockchain\", \"network_connect\"]\n");
    return dir;
  }

  private Run keygen(String name) {
    return Run.sign(
        "keygen",
        "-W",
        "-p",
        tmp.resolve(name + ".pub").toString(),
        "-s",
        tmp.resolve(name + ".key").toString());
  }

  @Test
  void keygen_unencrypted_writesMinisignKeysWithPrivateMode() throws Exception {
    Run r = keygen("k");

    assertEquals(ExitCodes.OK, r.code(), r.toString());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("k.key"))));
    MinisignPublicKey pk = MinisignPublicKey.read(tmp.resolve("k.pub"));
    assertTrue(r.out().contains(pk.encoded()), r.toString());
    MinisignSecretKey sk = MinisignSecretKey.read(tmp.resolve("k.key"), () -> null);
    assertEquals(pk, sk.publicKey());
  }

  @Test
  void keygen_existingFiles_refusedWithInputCode() throws Exception {
    keygen("k");
    String before = Files.readString(tmp.resolve("k.key"));

    Run r = keygen("k");

    assertEquals(ExitCodes.INPUT, r.code(), r.toString());
    assertTrue(r.err().contains("--force"), r.toString());
    assertEquals(before, Files.readString(tmp.resolve("k.key")));
  }

  @Test
  void keygen_encryptedWithoutTerminalOrPasswordSource_refused() {
    Run r =
        Run.sign(
            "keygen", "-p", tmp.resolve("e.pub").toString(), "-s", tmp.resolve("e.key").toString());

    assertEquals(ExitCodes.INPUT, r.code(), r.toString());
    assertTrue(r.err().contains("--password-file"), r.toString());
    assertFalse(Files.exists(tmp.resolve("e.key")));
  }

  @Test
  void signThenVerify_ok() throws Exception {
    keygen("k");
    Path dir = module(tmp, "fee-watch", "1.0.0");

    Run s = Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    Run v = Run.sign("verify", "-p", tmp.resolve("k.pub").toString(), dir.toString());

    assertEquals(ExitCodes.OK, s.code(), s.toString());
    assertTrue(s.out().contains("blvm-module/1 name=fee-watch version=1.0.0"), s.toString());
    assertEquals(ExitCodes.OK, v.code(), v.toString());
    assertTrue(v.out().startsWith("OK: fee-watch 1.0.0"), v.toString());
  }

  @Test
  void verify_tamperedBinary_refusedNamingTheFileAndDigests() throws Exception {
    keygen("k");
    Path dir = module(tmp, "m", "1.0.0");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    byte[] b = Files.readAllBytes(dir.resolve("mod.bin"));
    b[0] ^= 1;
    Files.write(dir.resolve("mod.bin"), b);

    Run v = Run.sign("verify", "-p", tmp.resolve("k.pub").toString(), dir.toString());

    assertEquals(ExitCodes.REFUSED, v.code(), v.toString());
    assertTrue(v.err().contains("REFUSED (FileTreeException)"), v.toString());
    assertTrue(v.err().contains(dir + ": mod.bin: changed: SHA-256 is "), v.toString());
    assertTrue(v.err().contains("the signed manifest pins"), v.toString());
  }

  @Test
  void signVerifyInspect_multiFileModule_showTheTree() throws Exception {
    keygen("k");
    Path dir = module(tmp, "py", "1.0.0");
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("lib/util.py"), "x = 1\n");

    Run s = Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    Run v = Run.sign("verify", "-p", tmp.resolve("k.pub").toString(), dir.toString());
    Run i = Run.sign("inspect", dir.toString());

    assertEquals(ExitCodes.OK, s.code(), s.toString());
    assertTrue(
        s.out().contains("files:           2 files, 3006 bytes, tree sha256 "), s.toString());
    assertTrue(s.out().contains("manifest:        pins written to module.toml"), s.toString());
    assertTrue(v.out().contains("  files:      2 files, 3006 bytes, tree sha256 "), v.toString());
    assertTrue(
        v.out()
            .contains(
                "              lib/util.py  6 bytes  sha256 "
                    + org.blvm.policy.Sha256.digest("x = 1\n".getBytes())),
        v.toString());
    assertTrue(v.out().contains("              mod.bin  3000 bytes  sha256 "), v.toString());
    assertTrue(v.out().contains("  (entry)"), v.toString());
    assertTrue(i.out().contains("                 lib/util.py  6 bytes"), i.toString());
  }

  @Test
  void verify_fileAddedAfterSigning_refusedNamingIt() throws Exception {
    keygen("k");
    Path dir = module(tmp, "m", "1.0.0");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("lib/evil.py"), "import os\n");

    Run v = Run.sign("verify", "-p", tmp.resolve("k.pub").toString(), dir.toString());

    assertEquals(ExitCodes.REFUSED, v.code(), v.toString());
    assertTrue(v.err().contains(dir + ": lib/evil.py: added: not in the signed"), v.toString());
  }

  @Test
  void verify_otherKey_refusedNamingKeyIdMismatch() throws Exception {
    keygen("k");
    keygen("other");
    Path dir = module(tmp, "m", "1.0.0");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());

    Run v = Run.sign("verify", "-p", tmp.resolve("other.pub").toString(), dir.toString());

    assertEquals(ExitCodes.REFUSED, v.code(), v.toString());
    assertTrue(v.err().contains("UntrustedKeyException"), v.toString());
  }

  @Test
  void verify_policyDisallowsCapability_refusedNamingIt() throws Exception {
    keygen("k");
    Path dir = module(tmp, "m", "1.0.0");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    Path policy = tmp.resolve("policy.toml");
    Files.writeString(
        policy,
        "[[keys]]\nname = \"dev\"\npublic_key = \""
            + MinisignPublicKey.read(tmp.resolve("k.pub")).encoded()
            + "\"\n[defaults]\ncapabilities = [\"read_blockchain\"]\n");

    Run v = Run.sign("verify", "--policy", policy.toString(), dir.toString());

    assertEquals(ExitCodes.REFUSED, v.code(), v.toString());
    assertTrue(v.err().contains("network_connect"), v.toString());
  }

  @Test
  void sign_wrongPassword_inputCodeAndNoSignature() throws Exception {
    MinisignSecretKey k = MinisignSecretKey.generate(new SecureRandom());
    Files.writeString(
        tmp.resolve("e.key"),
        k.encode(
            "right".toCharArray(),
            new MinisignSecretKey.KdfLimits(32_768, 1 << 20),
            new SecureRandom()));
    Files.writeString(tmp.resolve("pw"), "wrong\n");
    Path dir = module(tmp, "m", "1.0.0");

    Run s =
        Run.sign(
            "sign",
            "-s",
            tmp.resolve("e.key").toString(),
            "--password-file",
            tmp.resolve("pw").toString(),
            dir.toString());

    assertEquals(ExitCodes.INPUT, s.code(), s.toString());
    assertTrue(s.err().contains("wrong password for that key"), s.toString());
    assertFalse(s.err().contains("wrong\n"));
    assertFalse(Files.exists(dir.resolve("module.toml.minisig")));
  }

  @Test
  void sign_badSignerLabel_usage() throws Exception {
    keygen("k");
    Path dir = module(tmp, "m", "1.0.0");

    Run s =
        Run.sign("sign", "-s", tmp.resolve("k.key").toString(), "--signer", "../x", dir.toString());

    assertEquals(ExitCodes.USAGE, s.code(), s.toString());
  }

  @Test
  void inspect_signedModule_printsClaimsAndSigners() throws Exception {
    keygen("k");
    Path dir = module(tmp, "m", "1.2.3");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), "--signer", "alice", dir.toString());

    Run i = Run.sign("inspect", dir.toString());

    assertEquals(ExitCodes.OK, i.code(), i.toString());
    assertTrue(i.out().contains("UNVERIFIED"), i.toString());
    assertTrue(i.out().contains("version:         1.2.3"), i.toString());
    assertTrue(i.out().contains("read_blockchain, network_connect"), i.toString());
    String id = MinisignPublicKey.read(tmp.resolve("k.pub")).keyId().toString();
    assertTrue(i.out().contains("module.toml.alice.minisig: key " + id), i.toString());
  }

  @Test
  void unknownOption_usageCodeAndHint() {
    Run r = Run.sign("verify", "--frobnicate");

    assertEquals(ExitCodes.USAGE, r.code(), r.toString());
    assertTrue(r.err().contains("--help"), r.toString());
  }
}
