package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import org.blvm.policy.IndexBuilder;
import org.blvm.policy.MinisignSecretKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blvm-sign index}, {@code blvm-loader search} and {@code install} on real files. */
class IndexCommandTest {
  @TempDir Path tmp;

  private final MinisignSecretKey moduleKey = MinisignSecretKey.generate(new SecureRandom());
  private final MinisignSecretKey indexKey = MinisignSecretKey.generate(new SecureRandom());
  private Path mirror;
  private Path home;

  @BeforeEach
  void setUp() throws Exception {
    IndexHome h = IndexHome.in(tmp);
    mirror = h.mirror();
    home = h.home();
    Files.writeString(tmp.resolve("module.key"), moduleKey.encode(null, null, null));
    Files.writeString(tmp.resolve("index.key"), indexKey.encode(null, null, null));
    h.policy(moduleKey.publicKey(), indexKey.publicKey());
    for (String v : new String[] {"1.0.0", "1.1.0"}) {
      Path dir = BlvmSignTest.module(tmp.resolve("build-" + v), "fee-watch", v);
      Files.writeString(
          dir.resolve("module.toml"),
          Files.readString(dir.resolve("module.toml")) + "description = \"watches fee rates\"\n");
      Run s = Run.sign("sign", "-s", tmp.resolve("module.key").toString(), dir.toString());
      assertEquals(0, s.code(), s.toString());
      Files.move(dir, mirror.resolve("fee-watch-" + v));
    }
    Path other = BlvmSignTest.module(tmp.resolve("build-o"), "mesh-relay", "0.3.0");
    assertEquals(
        0, Run.sign("sign", "-s", tmp.resolve("module.key").toString(), other.toString()).code());
    Files.move(other, mirror.resolve("mesh-relay"));
  }

  private Run index(String version, String expires) {
    return Run.sign(
        "index",
        mirror.toString(),
        "-s",
        tmp.resolve("index.key").toString(),
        "--version",
        version,
        "--expires",
        expires);
  }

  private Run loader(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--index";
    all[args.length + 1] = mirror.toString();
    all[args.length + 2] = "--home";
    all[args.length + 3] = home.toString();
    return Run.loader(all);
  }

  @Test
  void indexSearchInstall_listsThenInstallsTheHighestVersion() throws Exception {
    Run ix = index("1", "30d");
    assertEquals(ExitCodes.OK, ix.code(), ix.toString());
    assertTrue(ix.out().contains("module fee-watch 1.1.0: fee-watch-1.1.0 sha256 "), ix.out());
    assertTrue(
        ix.out().contains("trusted comment: blvm-index/1 name=main version=1 expires="), ix.out());

    Run all = loader("search");
    assertEquals(ExitCodes.OK, all.code(), all.toString());
    assertTrue(all.out().contains("index main version 1, expires "), all.out());
    assertTrue(all.out().contains("signed by mirror (" + indexKey.keyId() + ")"), all.out());
    assertTrue(
        all.out().matches("(?s).*fee-watch\\s+1\\.0\\.0, 1\\.1\\.0\\s+watches fee rates\n.*"),
        all.out());
    assertTrue(all.out().contains("mesh-relay"), all.out());

    Run fee = loader("search", "FEE");
    assertTrue(fee.out().contains("fee-watch"), fee.out());
    assertFalse(fee.out().contains("mesh-relay"), fee.out());

    Run in = loader("install", "fee-watch");
    assertEquals(ExitCodes.OK, in.code(), in.toString());
    assertTrue(in.out().startsWith("installed fee-watch 1.1.0 into "), in.out());
    assertTrue(Files.isRegularFile(home.resolve("modules/fee-watch/module.toml")));

    Run again = loader("install", "fee-watch@1.0.0");
    assertEquals(ExitCodes.REFUSED, again.code(), again.toString());
    assertTrue(
        again.err().contains("module fee-watch 1.0.0: module already installed: "), again.err());
    assertTrue(again.err().contains("blvm-loader modules upgrade fee-watch"), again.err());
  }

  @Test
  void search_olderIndexAfterNewer_refusedNamingBothVersions() throws Exception {
    assertEquals(0, index("1", "30d").code());
    byte[] v1 = Files.readAllBytes(mirror.resolve("index.toml"));
    byte[] v1sig = Files.readAllBytes(mirror.resolve("index.toml.minisig"));
    assertEquals(0, index("2", "30d").code());
    assertEquals(0, loader("search").code());
    Files.write(mirror.resolve("index.toml"), v1);
    Files.write(mirror.resolve("index.toml.minisig"), v1sig);

    Run r = loader("install", "fee-watch");

    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.err().contains("index rollback: index main version 1 "), r.err());
    assertTrue(r.err().contains("older than version 2 "), r.err());
    assertFalse(Files.exists(home.resolve("modules/fee-watch")));
  }

  @Test
  void install_expiredIndex_refusedNamingVersionAndDate() throws Exception {
    Instant past = Instant.now().minusSeconds(60);
    IndexBuilder.write(mirror, "main", 3, past, indexKey, null);

    Run r = loader("install", "fee-watch");

    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.err().contains("index expired: index main version 3 expired at " + past), r.err());
  }

  @Test
  void index_expiryInThePastOrVersionNotHigher_refused() throws Exception {
    assertEquals(ExitCodes.USAGE, index("1", "2020-01-01T00:00:00Z").code());
    assertEquals(ExitCodes.USAGE, index("1", "soon").code());
    assertEquals(0, index("4", "30d").code());

    Run r = index("4", "30d");

    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.err().contains("the index there has version 4"), r.err());
  }

  @Test
  void policyCheck_showsTheIndexKeysApartFromTheModuleKeys() {
    Run r = Run.loader("policy", "check", home.resolve("policy.toml").toString());

    assertEquals(ExitCodes.OK, r.code(), r.toString());
    assertTrue(r.out().contains("key release (" + moduleKey.keyId() + "): valid now"), r.out());
    assertTrue(r.out().contains("index threshold: 1"), r.out());
    assertTrue(r.out().contains("index key mirror (" + indexKey.keyId() + "): valid now"), r.out());
  }

  @Test
  void install_noStateDirectory_refusedWithoutCreatingOne() throws Exception {
    assertEquals(0, index("1", "30d").code());
    Path other = Files.createDirectories(tmp.resolve("other"));

    Run r =
        Run.loader(
            "install",
            "fee-watch",
            "--index",
            mirror.toString(),
            "--policy",
            home.resolve("policy.toml").toString(),
            "--modules",
            home.resolve("modules").toString(),
            "--state",
            other.resolve("state").toString());

    assertEquals(ExitCodes.INPUT, r.code(), r.toString());
    assertTrue(r.err().contains("no such state directory: start the node once"), r.err());
    assertFalse(Files.exists(other.resolve("state")));
  }

  @Test
  void search_missingIndex_inputCode() {
    Run r =
        Run.loader(
            "search", "--index", tmp.resolve("nope.toml").toString(), "--home", home.toString());

    assertEquals(ExitCodes.INPUT, r.code(), r.toString());
    assertTrue(r.err().contains("nope.toml: no such file"), r.err());
  }
}
