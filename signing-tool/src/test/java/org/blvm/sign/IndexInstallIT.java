package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.blvm.policy.IndexBuilder;
import org.blvm.policy.MinisignPublicKey;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleIndex;
import org.blvm.policy.ModuleSigner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Module indexes with real processes: an index signed by the real {@code minisign} verifies (and
 * blvm-sign's index signature verifies with {@code minisign -V}); a {@code blvm-loader install}
 * killed (SIGKILL, SIGTERM) while it copies a large module leaves the modules directory as it was,
 * and the next install completes.
 */
class IndexInstallIT {
  private static final long BIG = 160L << 20;

  @TempDir Path tmp;

  private final MinisignSecretKey moduleKey = MinisignSecretKey.generate(new SecureRandom());
  private IndexHome idx;
  private Path mirror;
  private Path home;

  @BeforeEach
  void setUp() throws Exception {
    idx = IndexHome.in(tmp);
    mirror = idx.mirror();
    home = idx.home();
  }

  private void policy(MinisignPublicKey indexKey) throws IOException {
    idx.policy(moduleKey.publicKey(), indexKey);
  }

  private Path signedModule(String name, long extraBytes) throws Exception {
    Path dir = BlvmSignTest.module(tmp.resolve("build"), name, "1.0.0");
    if (extraBytes > 0) {
      try (RandomAccessFile f = new RandomAccessFile(dir.resolve("big.dat").toFile(), "rw")) {
        f.setLength(extraBytes);
      }
    }
    ModuleSigner.sign(dir, moduleKey, null, true);
    return Files.move(dir, mirror.resolve(name));
  }

  private Run search() {
    return Run.loader("search", "--index", mirror.toString(), "--home", home.toString());
  }

  @Test
  void indexSignedByMinisign_verifies_andBlvmSignedIndex_verifiesWithMinisign() throws Exception {
    MinisignInteropIT.sayWhenMinisignIsMissing("IndexInstallIT");
    Assumptions.assumeTrue(Files.isExecutable(MinisignInteropIT.MINISIGN));
    Path pub = tmp.resolve("idx.pub");
    Path key = tmp.resolve("idx.key");
    MinisignInteropIT.ok(
        MinisignInteropIT.minisign("", "-G", "-W", "-p", pub.toString(), "-s", key.toString()));
    policy(MinisignPublicKey.read(pub));
    signedModule("fee-watch", 0);
    MinisignSecretKey fromMinisign = MinisignSecretKey.read(key, () -> null);

    // blvm-sign signs with minisign's key; minisign verifies it and prints the trusted comment
    IndexBuilder.Result r =
        IndexBuilder.write(mirror, "main", 1, Instant.now().plusSeconds(86400), fromMinisign, null);
    MinisignInteropIT.Result v =
        MinisignInteropIT.minisign(
            "", "-V", "-p", pub.toString(), "-m", mirror.resolve("index.toml").toString());
    MinisignInteropIT.ok(v);
    assertTrue(v.output().contains(r.index().trustedComment()), v.output());

    // minisign signs the index with the index's trusted comment: verified and listed
    Files.delete(mirror.resolve("index.toml.minisig"));
    MinisignInteropIT.ok(
        MinisignInteropIT.minisign(
            "",
            "-S",
            "-s",
            key.toString(),
            "-m",
            mirror.resolve("index.toml").toString(),
            "-t",
            r.index().trustedComment()));
    Run s = search();
    assertEquals(ExitCodes.OK, s.code(), s.toString());
    assertTrue(s.out().contains("fee-watch  1.0.0"), s.out());

    // minisign's default trusted comment binds nothing: refused
    Files.delete(mirror.resolve("index.toml.minisig"));
    MinisignInteropIT.ok(
        MinisignInteropIT.minisign(
            "", "-S", "-s", key.toString(), "-m", mirror.resolve("index.toml").toString()));
    Run refused = search();
    assertEquals(ExitCodes.REFUSED, refused.code(), refused.toString());
    assertTrue(refused.err().contains("trusted comment mismatch"), refused.err());
    assertTrue(refused.err().contains(ModuleIndex.COMMENT_PREFIX), refused.err());
  }

  @Test
  void installKilledOrStoppedMidCopy_modulesDirectoryUnchanged_nextInstallCompletes()
      throws Exception {
    MinisignSecretKey indexKey = MinisignSecretKey.generate(new SecureRandom());
    policy(indexKey.publicKey());
    signedModule("big", BIG);
    IndexBuilder.write(mirror, "main", 1, Instant.now().plusSeconds(86400), indexKey, null);
    Path modules = home.resolve("modules");
    Files.writeString(Files.createDirectories(modules.resolve("other")).resolve("keep"), "x");

    for (boolean kill : new boolean[] {true, false}) {
      List<String> before =
          Files.isDirectory(home.resolve("state/install"))
              ? listing(home.resolve("state/install"))
              : List.of();
      Process p = startInstall("big");
      awaitStagedBytes(p, before);
      if (kill) {
        p.destroyForcibly(); // SIGKILL: no cleanup runs
      } else {
        p.destroy(); // SIGTERM: the shutdown hook removes the staging directory
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the install exits");

      assertEquals(List.of("other"), listing(modules), kill ? "after SIGKILL" : "after SIGTERM");
      assertEquals(List.of("keep"), listing(modules.resolve("other")));
      if (!kill) {
        assertEquals(List.of(), listing(home.resolve("state/install")), "SIGTERM cleans up");
      }
    }

    Process done = startInstall("big");
    assertTrue(done.waitFor(180, TimeUnit.SECONDS), "the install finishes");
    String out = new String(done.getInputStream().readAllBytes());
    assertEquals(0, done.exitValue(), out);
    assertEquals(List.of("big", "other"), listing(modules));
    assertEquals(BIG, Files.size(modules.resolve("big/big.dat")));
    assertEquals(List.of(), listing(home.resolve("state/install")));
  }

  private Process startInstall(String module) throws IOException {
    String jar = System.getProperty("blvm.signJar", "missing");
    assertTrue(Files.isRegularFile(Path.of(jar)), "blvm.signJar names the built jar: " + jar);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-XX:-UsePerfData", "-cp", jar, "org.blvm.sign.BlvmLoader", "install"));
    cmd.addAll(List.of(module, "--index", mirror.toString(), "--home", home.toString()));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .start();
  }

  /**
   * Waits until the install has written part of the large file into a staging directory that is not
   * one of {@code old} (left by an install killed before).
   */
  private void awaitStagedBytes(Process p, List<String> old) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Path staging = home.resolve("state/install");
    while (true) {
      if (Files.isDirectory(staging)) {
        try (Stream<Path> s = Files.walk(staging)) {
          if (s.anyMatch(
              f ->
                  f.getFileName().toString().equals("big.dat")
                      && !old.contains(staging.relativize(f).getName(0).toString())
                      && size(f) > 0)) {
            return;
          }
        } catch (IOException | java.io.UncheckedIOException raced) {
          // a directory went away while walked: look again
        }
      }
      if (!p.isAlive()) {
        throw new AssertionError(
            "the install ended before it was stopped: "
                + new String(p.getInputStream().readAllBytes()));
      }
      if (System.nanoTime() - deadline > 0) {
        p.destroyForcibly();
        throw new AssertionError("the install wrote nothing into " + staging + " in 120 s");
      }
      Thread.sleep(2);
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return 0;
    }
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void installedModule_sameIndexAgain_refusedAsExisting_andNothingElseChanged() throws Exception {
    MinisignSecretKey indexKey = MinisignSecretKey.generate(new SecureRandom());
    policy(indexKey.publicKey());
    signedModule("fee-watch", 0);
    IndexBuilder.write(mirror, "main", 1, Instant.now().plusSeconds(86400), indexKey, null);
    assertEquals(
        0,
        Run.loader("install", "fee-watch", "--index", mirror.toString(), "--home", home.toString())
            .code());
    byte[] manifest = Files.readAllBytes(home.resolve("modules/fee-watch/module.toml"));

    Run again =
        Run.loader("install", "fee-watch", "--index", mirror.toString(), "--home", home.toString());

    assertEquals(ExitCodes.REFUSED, again.code(), again.toString());
    assertFalse(again.err().isEmpty());
    assertTrue(
        java.util.Arrays.equals(
            manifest, Files.readAllBytes(home.resolve("modules/fee-watch/module.toml"))));
  }
}
