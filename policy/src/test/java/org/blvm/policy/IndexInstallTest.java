package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Module indexes on real files: built and signed by {@link IndexBuilder}, verified by {@link
 * IndexVerifier} and {@link IndexRecord}, installed by {@link ModuleInstaller}; each refusal names
 * the rule, and the module and version where there is one.
 */
class IndexInstallTest {
  private static final Instant EXPIRES = Fixtures.NOW.plusSeconds(30 * 86400);

  @TempDir Path tmp;

  private final MinisignSecretKey moduleKey = Fixtures.key();
  private final MinisignSecretKey indexKey = Fixtures.key();
  private Path mirror;
  private Path modules;
  private Path state;
  private Policy policy;

  @BeforeEach
  void setUp() throws Exception {
    mirror = Files.createDirectories(tmp.resolve("mirror"));
    modules = Files.createDirectories(tmp.resolve("modules"));
    state = tmp.resolve("state");
    policy = policy(indexKey);
    signedModule("fee-watch", "1.0.0", "fee-watch-1.0.0");
    signedModule("fee-watch", "1.2.0", "fee-watch-1.2.0");
  }

  private Policy policy(MinisignSecretKey trustedForIndexes) throws Exception {
    return Fixtures.policy(
        "threshold = 1\n"
            + Fixtures.keyEntry("release", moduleKey, "")
            + "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
            + "[index]\n"
            + Fixtures.keyEntry("mirror", trustedForIndexes, "")
                .replace("[[keys]]", "[[index.keys]]"));
  }

  /** A signed module in {@code mirror/dirName}. */
  private Path signedModule(String name, String version, String dirName) throws Exception {
    Path build = Files.createDirectories(tmp.resolve("build-" + dirName));
    Path dir =
        Fixtures.module(
            build, name, version, "\"read_blockchain\"", Fixtures.binary(5000, dirName.hashCode()));
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("lib/rules.json"), "{\"v\": \"" + version + "\"}\n");
    Fixtures.sign(dir, moduleKey, null);
    return Files.move(dir, mirror.resolve(dirName));
  }

  private IndexBuilder.Result index(long version, Instant expires) throws Exception {
    return IndexBuilder.write(mirror, "main", version, expires, indexKey, null);
  }

  private IndexVerifier.Verified verify() throws Exception {
    IndexVerifier.Verified v =
        IndexVerifier.verify(mirror.resolve("index.toml"), policy.indexTrust(), Fixtures.CLOCK);
    IndexRecord.open(state, v.file()).accept(v);
    return v;
  }

  private ModuleInstaller.Installed install(String name, String version) throws Exception {
    IndexVerifier.Verified v = verify();
    Admission a = Fixtures.admission(policy, state);
    return ModuleInstaller.install(
        v, ModuleInstaller.find(v, name, version), mirror, modules, state, a);
  }

  private List<String> listing(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void install_highestVersion_installedWithItsFilesAndAdmissible() throws Exception {
    index(1, EXPIRES);

    ModuleInstaller.Installed done = install("fee-watch", null);

    Path target = modules.resolve("fee-watch");
    assertEquals(target, done.directory());
    assertEquals("1.2.0", done.entry().version().toString());
    assertEquals(List.of("lib", "mod.bin", "module.toml", "module.toml.minisig"), listing(target));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertEquals(
        "rw-r--r--",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("mod.bin"))));
    AdmittedModule a = Fixtures.admission(policy, state).admit(target);
    assertEquals("1.2.0", a.manifest().version());
    assertEquals(List.of(), listing(state.resolve("install")));
  }

  @Test
  void install_namedVersion_thatVersion() throws Exception {
    index(1, EXPIRES);

    assertEquals("1.0.0", install("fee-watch", "1.0.0").admitted().manifest().version());
  }

  @Test
  void install_unknownModuleOrVersion_notFoundNamingIt() throws Exception {
    index(1, EXPIRES);

    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", "9.9.9"));

    assertEquals(IndexException.Rule.NOT_FOUND, e.rule());
    assertEquals("fee-watch", e.module());
    assertEquals("9.9.9", e.version());
    assertTrue(e.getMessage().contains("1.0.0, 1.2.0"), e.getMessage());
  }

  @Test
  void install_existingModuleDirectory_refusedNamingUpgrade_andLeftAlone() throws Exception {
    index(1, EXPIRES);
    Path existing = Files.createDirectories(modules.resolve("fee-watch"));
    Files.writeString(existing.resolve("mine"), "operator's");

    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", null));

    assertEquals(IndexException.Rule.EXISTS, e.rule());
    assertEquals("1.2.0", e.version());
    assertTrue(e.getMessage().contains("blvm-loader modules upgrade fee-watch"), e.getMessage());
    assertEquals(List.of("mine"), listing(existing));
  }

  @Test
  void install_targetCreatedBetweenTheCheckAndTheRename_refusedNamingIt_andLeftAlone()
      throws Exception {
    index(1, EXPIRES);
    IndexVerifier.Verified v = verify();
    Admission a = Fixtures.admission(policy, state);
    Path target = modules.resolve("fee-watch");

    IndexException e =
        assertThrows(
            IndexException.class,
            () ->
                ModuleInstaller.install(
                    v,
                    ModuleInstaller.find(v, "fee-watch", null),
                    mirror,
                    modules,
                    state,
                    a,
                    () -> {
                      try {
                        Files.createDirectory(target); // empty: a plain rename would replace it
                      } catch (IOException x) {
                        throw new UncheckedIOException(x);
                      }
                    }));

    assertEquals(IndexException.Rule.EXISTS, e.rule());
    assertTrue(e.getMessage().contains(target + " appeared while"), e.getMessage());
    assertTrue(Files.isDirectory(target));
    assertEquals(List.of(), listing(target), "the directory found there is left as it was");
    assertEquals(List.of(), listing(state.resolve("install")), "the staging copy is removed");
  }

  @Test
  void noReplaceFallback_existingEmptyTarget_refused_andLeftAlone() throws Exception {
    Path from = Files.createDirectories(tmp.resolve("fallback/from"));
    Files.writeString(from.resolve("f"), "x");
    Path to = Files.createDirectories(tmp.resolve("fallback/to"));

    assertThrows(FileAlreadyExistsException.class, () -> NoReplaceRename.claimThenRename(from, to));

    assertEquals(List.of(), listing(to));
    assertEquals(List.of("f"), listing(from));
    Files.delete(to);
    NoReplaceRename.claimThenRename(from, to);
    assertEquals(List.of("f"), listing(to));
    assertFalse(Files.exists(from));
  }

  @Test
  void verify_expiredIndex_refusedNamingVersionAndDate() throws Exception {
    index(4, Fixtures.NOW.minusSeconds(1));

    IndexException e = assertThrows(IndexException.class, this::verify);

    assertEquals(IndexException.Rule.EXPIRED, e.rule());
    assertTrue(
        e.getMessage().contains("index main version 4 expired at " + Fixtures.NOW.minusSeconds(1)),
        e.getMessage());
  }

  @Test
  void verify_olderIndexAfterNewer_refusedAsRollbackNamingBoth() throws Exception {
    index(1, EXPIRES);
    byte[] v1 = Files.readAllBytes(mirror.resolve("index.toml"));
    byte[] v1sig = Files.readAllBytes(mirror.resolve("index.toml.minisig"));
    verify();
    index(2, EXPIRES);
    verify();
    // the old, validly signed index served again
    Files.write(mirror.resolve("index.toml"), v1);
    Files.write(mirror.resolve("index.toml.minisig"), v1sig);

    IndexException e = assertThrows(IndexException.class, this::verify);

    assertEquals(IndexException.Rule.ROLLBACK, e.rule());
    assertTrue(e.getMessage().contains("version 1 "), e.getMessage());
    assertTrue(e.getMessage().contains("older than version 2 "), e.getMessage());
    // and across a new record object (another run of the tool)
    assertEquals(
        IndexException.Rule.ROLLBACK, assertThrows(IndexException.class, this::verify).rule());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("indexes"))));
  }

  @Test
  void verify_sameVersionOtherContent_refusedAsReused() throws Exception {
    index(5, EXPIRES);
    verify();
    Files.delete(mirror.resolve("index.toml"));
    index(5, EXPIRES.plusSeconds(60));

    assertEquals(
        IndexException.Rule.VERSION_REUSED,
        assertThrows(IndexException.class, this::verify).rule());
  }

  @Test
  void verify_indexSignedByModuleKeyOnly_refusedAsUntrusted() throws Exception {
    index(1, EXPIRES);
    policy = policy(Fixtures.key());

    IndexException e = assertThrows(IndexException.class, this::verify);

    assertEquals(IndexException.Rule.UNTRUSTED, e.rule());
    assertTrue(e.getMessage().contains("not trusted for indexes"), e.getMessage());
  }

  @Test
  void verify_indexEditedAfterSigning_refusedAsInvalidSignature() throws Exception {
    index(1, EXPIRES);
    Path f = mirror.resolve("index.toml");
    Files.writeString(f, Files.readString(f).replace("version = 1\n", "version = 9\n"));

    assertEquals(
        IndexException.Rule.SIGNATURE_INVALID,
        assertThrows(IndexException.class, this::verify).rule());
  }

  @Test
  void verify_signatureWithAnotherIndexesComment_refusedAsMismatch() throws Exception {
    index(1, EXPIRES);
    byte[] bytes = Files.readAllBytes(mirror.resolve("index.toml"));
    MinisignSignature other =
        indexKey.sign(bytes, "blvm-index/1 name=main version=7 expires=" + EXPIRES, "x", true);
    Files.writeString(mirror.resolve("index.toml.minisig"), other.encoded());

    assertEquals(
        IndexException.Rule.COMMENT_MISMATCH,
        assertThrows(IndexException.class, this::verify).rule());
  }

  @Test
  void verify_unsigned_refused() throws Exception {
    index(1, EXPIRES);
    Files.delete(mirror.resolve("index.toml.minisig"));

    assertEquals(
        IndexException.Rule.UNSIGNED, assertThrows(IndexException.class, this::verify).rule());
  }

  @Test
  void install_moduleChangedAfterIndexing_refusedAsDigest_modulesDirectoryUnchanged()
      throws Exception {
    index(1, EXPIRES);
    // a co-signature added after the index was made: validly signed, but not what the index pins
    Fixtures.sign(mirror.resolve("fee-watch-1.2.0"), moduleKey, "extra");

    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", null));

    assertEquals(IndexException.Rule.DIGEST, e.rule());
    assertEquals("fee-watch", e.module());
    assertEquals("1.2.0", e.version());
    assertEquals(List.of(), listing(modules));
    assertEquals(List.of(), listing(state.resolve("install")));
  }

  @Test
  void install_tamperedEntryDigestInAReSignedIndex_refusedAsDigest() throws Exception {
    index(1, EXPIRES);
    Path f = mirror.resolve("index.toml");
    IndexVerifier.Verified v = IndexVerifier.verify(f, policy.indexTrust(), Fixtures.CLOCK);
    String tampered =
        Files.readString(f).replace(v.index().entries().get(1).sha256().hex(), "00".repeat(32));
    Files.writeString(f, tampered);
    Files.writeString(
        mirror.resolve("index.toml.minisig"),
        indexKey
            .sign(tampered.getBytes(StandardCharsets.UTF_8), v.index().trustedComment(), "x", true)
            .encoded());

    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", "1.2.0"));

    assertEquals(IndexException.Rule.DIGEST, e.rule());
    assertTrue(e.getMessage().contains("the index pins " + "00".repeat(32)), e.getMessage());
    assertEquals(List.of(), listing(modules));
  }

  @Test
  void install_entryThroughSymlinkOrWithSymlinkInside_refusedAsPath() throws Exception {
    signedModule("fee-watch", "2.0.0", "elsewhere");
    index(1, EXPIRES);
    Path moved = Files.move(mirror.resolve("elsewhere"), tmp.resolve("outside"));
    Files.createSymbolicLink(mirror.resolve("elsewhere"), moved);

    // the same files, but reached through a symbolic link: never followed
    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", "2.0.0"));
    assertEquals(IndexException.Rule.PATH, e.rule());
    assertEquals("2.0.0", e.version());

    Files.delete(mirror.resolve("elsewhere"));
    Files.move(moved, mirror.resolve("elsewhere"));
    Path rules = mirror.resolve("elsewhere/lib/rules.json");
    Files.delete(rules);
    Files.createSymbolicLink(rules, tmp.resolve("secret"));
    IndexException inside = assertThrows(IndexException.class, () -> install("fee-watch", "2.0.0"));
    assertEquals(IndexException.Rule.PATH, inside.rule());
    assertEquals(List.of(), listing(modules));
  }

  @Test
  void install_moduleSignedByUntrustedKey_refusedByAdmission_modulesDirectoryUnchanged()
      throws Exception {
    Path dir = mirror.resolve("fee-watch-1.2.0");
    Fixtures.sign(dir, Fixtures.key(), null);
    index(1, EXPIRES);

    IndexException e = assertThrows(IndexException.class, () -> install("fee-watch", "1.2.0"));

    assertEquals(IndexException.Rule.ADMISSION, e.rule());
    assertTrue(e.getMessage().contains("UntrustedKeyException"), e.getMessage());
    assertEquals(List.of(), listing(modules));
    assertEquals(List.of(), listing(state.resolve("install")));
  }

  @Test
  void install_leftoverStagingOfAKilledInstall_removedByTheNext() throws Exception {
    index(1, EXPIRES);
    Path leftover = Files.createDirectories(state.resolve("install/tmp-killed/fee-watch"));
    Files.writeString(leftover.resolve("mod.bin"), "half");
    Files.setPosixFilePermissions(state.resolve("install"), StateFiles.DIR_0700);

    install("fee-watch", null);

    assertEquals(List.of(), listing(state.resolve("install")));
    assertFalse(Files.exists(leftover));
  }

  @Test
  void builder_versionNotAboveTheIndexThere_refused() throws Exception {
    index(3, EXPIRES);

    IndexException e = assertThrows(IndexException.class, () -> index(3, EXPIRES));

    assertEquals(IndexException.Rule.ROLLBACK, e.rule());
    assertTrue(e.getMessage().contains("version 3"), e.getMessage());
  }

  @Test
  void verify_afterExpiryByTheClock_refused() throws Exception {
    index(1, EXPIRES);
    Clock later = Clock.fixed(EXPIRES, ZoneOffset.UTC);

    IndexException e =
        assertThrows(
            IndexException.class,
            () -> IndexVerifier.verify(mirror.resolve("index.toml"), policy.indexTrust(), later));

    assertEquals(IndexException.Rule.EXPIRED, e.rule());
  }
}
