package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.MinisignPublicKey;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.Policy;
import org.blvm.policy.TrustedCommentMismatchException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with the real minisign (Debian package {@code minisign}): (a) blvm-sign output
 * verifies with {@code minisign -V}; (b) {@code minisign -S} output is admitted and passes {@code
 * blvm-sign verify}; (c) keys cross over in both directions, encrypted ones included.
 *
 * <p>Skipped, with the reason printed on the build's console, when /usr/bin/minisign is missing,
 * unless {@code -Dblvm.requireIntegration=true} (CI), which turns the skip into a failure.
 */
class MinisignInteropIT {
  static final Path MINISIGN = Path.of(System.getProperty("blvm.minisign", "/usr/bin/minisign"));
  static final String PASSWORD = "interop pass phrase";

  @TempDir Path tmp;

  @BeforeAll
  static void sayWhenMinisignIsMissing() {
    sayWhenMinisignIsMissing("MinisignInteropIT");
  }

  @BeforeEach
  void requireMinisign() {
    Assumptions.assumeTrue(Files.isExecutable(MINISIGN), MINISIGN + " not found");
  }

  /**
   * When minisign is missing, says so once per test class on the build's console (the tests are
   * then skipped by {@link Assumptions} in a {@code @BeforeEach}, so each counts as skipped); under
   * {@code -Dblvm.requireIntegration=true} fails the class instead.
   */
  static void sayWhenMinisignIsMissing(String testClass) {
    if (Files.isExecutable(MINISIGN)) {
      return;
    }
    String why = MINISIGN + " not found: install it (apt-get install minisign) to run these tests";
    if (Boolean.getBoolean("blvm.requireIntegration")) {
      fail(why + " (blvm.requireIntegration=true turns this skip into a failure)");
    }
    // the signing tool's integration tests write their output to the console (pom.xml)
    System.err.println("SKIPPED " + testClass + ": " + why);
  }

  record Result(int code, String output) {}

  static Result minisign(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(MINISIGN.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("minisign " + String.join(" ", args) + " timed out");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static void ok(Result r) {
    assertEquals(0, r.code(), r.output());
  }

  /** A module directory whose manifest already pins its binary (as an author would commit it). */
  private Path pinnedModule(String name) throws Exception {
    Path dir = BlvmSignTest.module(tmp.resolve("modules"), name, "1.0.0");
    byte[] bin = Files.readAllBytes(dir.resolve("mod.bin"));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bin));
    Files.writeString(
        dir.resolve("module.toml"),
        "[binary]\nsha256 = \"" + sha + "\"\nsize = " + bin.length + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    return dir;
  }

  private static Admission admission(Path pub) throws Exception {
    return Admission.builder()
        .policy(Policy.trusting(List.of(MinisignPublicKey.read(pub)), 1))
        .build();
  }

  private Path passwordFile() throws IOException {
    return Files.writeString(tmp.resolve("password"), PASSWORD + "\n");
  }

  private void blvmKeygen(String name, boolean encrypted) throws IOException {
    List<String> args =
        new ArrayList<>(List.of("keygen", "-p", tmp.resolve(name + ".pub").toString()));
    args.addAll(List.of("-s", tmp.resolve(name + ".key").toString()));
    if (encrypted) {
      args.addAll(List.of("--password-file", passwordFile().toString()));
    } else {
      args.add("-W");
    }
    Run r = Run.sign(args.toArray(String[]::new));
    assertEquals(ExitCodes.OK, r.code(), r.toString());
  }

  // (a) ------------------------------------------------------------------------------------------

  @Test
  void blvmSignSignature_verifiesWithMinisign() throws Exception {
    blvmKeygen("k", false);
    Path dir = BlvmSignTest.module(tmp.resolve("modules"), "fee-watch", "1.0.0");
    Run s =
        Run.sign(
            "sign", "-s", tmp.resolve("k.key").toString(), "--signer", "alice", dir.toString());
    assertEquals(ExitCodes.OK, s.code(), s.toString());
    Run s2 = Run.sign("sign", "-s", tmp.resolve("k.key").toString(), dir.toString());
    assertEquals(ExitCodes.OK, s2.code(), s2.toString());

    Result r =
        minisign(
            "",
            "-V",
            "-p",
            tmp.resolve("k.pub").toString(),
            "-m",
            dir.resolve("module.toml").toString());
    Result named =
        minisign(
            "",
            "-V",
            "-H",
            "-p",
            tmp.resolve("k.pub").toString(),
            "-m",
            dir.resolve("module.toml").toString(),
            "-x",
            dir.resolve("module.toml.alice.minisig").toString());

    ok(r);
    assertTrue(
        r.output().contains("Trusted comment: blvm-module/1 name=fee-watch version=1.0.0"),
        r.output());
    ok(named);
  }

  // (b) ------------------------------------------------------------------------------------------

  @Test
  void minisignSignature_admittedAndVerifiedByBlvmSign() throws Exception {
    ok(
        minisign(
            "",
            "-G",
            "-W",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-s",
            tmp.resolve("m.key").toString()));
    Path dir = pinnedModule("fee-watch");
    ok(
        minisign(
            "",
            "-S",
            "-s",
            tmp.resolve("m.key").toString(),
            "-m",
            dir.resolve("module.toml").toString(),
            "-t",
            Admission.trustedComment("fee-watch", "1.0.0")));

    AdmittedModule a =
        Admission.builder()
            .policy(Policy.trusting(List.of(MinisignPublicKey.read(tmp.resolve("m.pub"))), 1))
            .stateDir(tmp.resolve("state"))
            .build()
            .admit(dir);
    Run v = Run.sign("verify", "-p", tmp.resolve("m.pub").toString(), dir.toString());

    assertEquals(Set.of(MinisignPublicKey.read(tmp.resolve("m.pub")).keyId()), a.signerKeyIds());
    assertEquals(ExitCodes.OK, v.code(), v.toString());
  }

  @Test
  void minisignLegacySignature_admitted() throws Exception {
    ok(
        minisign(
            "",
            "-G",
            "-W",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-s",
            tmp.resolve("m.key").toString()));
    Path dir = pinnedModule("legacy");
    ok(
        minisign(
            "",
            "-S",
            "-l",
            "-s",
            tmp.resolve("m.key").toString(),
            "-m",
            dir.resolve("module.toml").toString(),
            "-t",
            Admission.trustedComment("legacy", "1.0.0")));
    assertTrue(
        Files.readString(dir.resolve("module.toml.minisig")).split("\n")[1].startsWith("RW"));

    assertEquals(1, admission(tmp.resolve("m.pub")).check(dir).signerKeyIds().size());
  }

  @Test
  void minisignDefaultTrustedComment_refusedByDomainSeparation() throws Exception {
    ok(
        minisign(
            "",
            "-G",
            "-W",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-s",
            tmp.resolve("m.key").toString()));
    Path dir = pinnedModule("fee-watch");
    ok(
        minisign(
            "",
            "-S",
            "-s",
            tmp.resolve("m.key").toString(),
            "-m",
            dir.resolve("module.toml").toString()));

    TrustedCommentMismatchException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            TrustedCommentMismatchException.class,
            () -> admission(tmp.resolve("m.pub")).check(dir));

    assertTrue(e.found().startsWith("timestamp:"), e.found());
    assertEquals("blvm-module/1 name=fee-watch version=1.0.0", e.expected());
    Run v = Run.sign("verify", "-p", tmp.resolve("m.pub").toString(), dir.toString());
    assertEquals(ExitCodes.REFUSED, v.code(), v.toString());
    assertTrue(
        v.err().contains("expected \"blvm-module/1 name=fee-watch version=1.0.0\""), v.toString());
  }

  // (c) ------------------------------------------------------------------------------------------

  @Test
  void blvmUnencryptedKey_signsWithMinisign() throws Exception {
    blvmKeygen("k", false);
    Path msg = Files.writeString(tmp.resolve("msg"), "hello\n");

    ok(minisign("", "-S", "-s", tmp.resolve("k.key").toString(), "-m", msg.toString()));
    ok(minisign("", "-V", "-p", tmp.resolve("k.pub").toString(), "-m", msg.toString()));
  }

  @Test
  void blvmEncryptedKey_defaultCost_signsWithMinisignReadingPasswordFromStdin() throws Exception {
    blvmKeygen("k", true);
    Path dir = pinnedModule("m");

    Result r =
        minisign(
            PASSWORD + "\n",
            "-S",
            "-s",
            tmp.resolve("k.key").toString(),
            "-m",
            dir.resolve("module.toml").toString(),
            "-t",
            Admission.trustedComment("m", "1.0.0"));

    ok(r);
    assertEquals(1, admission(tmp.resolve("k.pub")).check(dir).signerKeyIds().size());
  }

  @Test
  void libraryKeyWithCheapKdf_minisignDerivesTheSameStream() throws Exception {
    // Exercises libsodium's other parameter branch (opslimit < memlimit / 32).
    MinisignSecretKey k = MinisignSecretKey.generate(new SecureRandom());
    Files.writeString(
        tmp.resolve("c.key"),
        k.encode(
            PASSWORD.toCharArray(),
            new MinisignSecretKey.KdfLimits(65_536, 64L << 20),
            new SecureRandom()));
    Files.writeString(tmp.resolve("c.pub"), k.publicKey().fileContent());
    Path msg = Files.writeString(tmp.resolve("msg"), "hello\n");

    Result wrong =
        minisign("nope\n", "-S", "-s", tmp.resolve("c.key").toString(), "-m", msg.toString());
    Result right =
        minisign(
            PASSWORD + "\n", "-S", "-s", tmp.resolve("c.key").toString(), "-m", msg.toString());

    assertTrue(wrong.code() != 0 && wrong.output().contains("Wrong password"), wrong.output());
    ok(right);
    ok(minisign("", "-V", "-p", tmp.resolve("c.pub").toString(), "-m", msg.toString()));
  }

  @Test
  void minisignUnencryptedKey_signsWithBlvmSign() throws Exception {
    ok(
        minisign(
            "",
            "-G",
            "-W",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-s",
            tmp.resolve("m.key").toString()));
    Path dir = BlvmSignTest.module(tmp.resolve("modules"), "m", "1.0.0");

    Run s = Run.sign("sign", "-s", tmp.resolve("m.key").toString(), dir.toString());

    assertEquals(ExitCodes.OK, s.code(), s.toString());
    ok(
        minisign(
            "",
            "-V",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-m",
            dir.resolve("module.toml").toString()));
  }

  @Test
  void minisignEncryptedKey_defaultCost_signsWithBlvmSign() throws Exception {
    ok(
        minisign(
            PASSWORD + "\n" + PASSWORD + "\n",
            "-G",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-s",
            tmp.resolve("m.key").toString()));
    Path dir = BlvmSignTest.module(tmp.resolve("modules"), "m", "1.0.0");

    Run s =
        Run.sign(
            "sign",
            "-s",
            tmp.resolve("m.key").toString(),
            "--password-file",
            passwordFile().toString(),
            dir.toString());

    assertEquals(ExitCodes.OK, s.code(), s.toString());
    ok(
        minisign(
            "",
            "-V",
            "-p",
            tmp.resolve("m.pub").toString(),
            "-m",
            dir.resolve("module.toml").toString()));
    assertEquals(
        MinisignPublicKey.read(tmp.resolve("m.pub")),
        MinisignSecretKey.read(tmp.resolve("m.key"), PASSWORD::toCharArray).publicKey());
  }
}
