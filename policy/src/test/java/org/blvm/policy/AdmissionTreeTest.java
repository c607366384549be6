package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-file modules: the manifest's [files] pins the whole directory, admission copies exactly the
 * verified bytes into the store, and every change after signing — a file changed, added, removed,
 * turned into a symbolic link or a fifo, or changed while it is being copied — refuses the module
 * with the path named.
 */
class AdmissionTreeTest {
  private static final String CAPS = "\"read_blockchain\"";

  @TempDir Path tmp;

  private final MinisignSecretKey key = Fixtures.key();

  private Path state() {
    return tmp.resolve("state");
  }

  /** A module "tree" with mod.bin, lib/util.py, lib/deep/data.json, signed. */
  private Path signedTree() throws Exception {
    Path dir = Fixtures.module(tmp.resolve("modules"), "tree", "1.0.0", CAPS);
    Files.createDirectories(dir.resolve("lib/deep"));
    Files.writeString(dir.resolve("lib/util.py"), "def util():\n    return 1\n");
    Files.write(dir.resolve("lib/deep/data.json"), Fixtures.binary(3 << 20, 7));
    Fixtures.sign(dir, key, null);
    return dir;
  }

  private Admission admission(FileTreeReader.Observer observer) throws Exception {
    return Admission.builder()
        .policy(Fixtures.trusting(key))
        .stateDir(state())
        .clock(Fixtures.CLOCK)
        .observer(observer)
        .build();
  }

  private FileTreeException refused(Path dir) throws Exception {
    return refused(dir, FileTreeReader.Observer.NONE);
  }

  private FileTreeException refused(Path dir, FileTreeReader.Observer observer) throws Exception {
    Admission a = admission(observer);
    FileTreeException e = assertThrows(FileTreeException.class, () -> a.admit(dir));
    assertEquals(dir, e.moduleDir());
    assertTrue(e.getMessage().contains(e.path()), e.getMessage());
    assertStoreEmpty();
    return e;
  }

  private void assertStoreEmpty() throws IOException {
    Path trees = state().resolve("store/trees");
    if (Files.isDirectory(trees)) {
      try (Stream<Path> s = Files.list(trees)) {
        assertEquals(List.of(), s.toList(), "nothing of a refused module stays in the store");
      }
    }
  }

  @Test
  void admit_multiFileModule_storesExactlyTheSignedFilesReadOnly() throws Exception {
    Path dir = signedTree();

    AdmittedModule a = admission(FileTreeReader.Observer.NONE).admit(dir);

    ModuleFiles files = a.manifest().files();
    Path root = state().resolve("store/trees").resolve(files.digest().hex());
    assertEquals(root, a.tree().root());
    assertEquals(files, a.tree().files());
    assertEquals(root.resolve("mod.bin"), a.binaryPath());
    for (String p : List.of("mod.bin", "lib/util.py", "lib/deep/data.json")) {
      assertEquals(
          Files.mismatch(dir.resolve(p), root.resolve(p)), -1L, p + " is stored byte for byte");
      assertEquals("r-xr-xr-x", perms(root.resolve(p)));
    }
    assertEquals("r-xr-xr-x", perms(root.resolve("lib/deep")));
    try (Stream<Path> s = Files.walk(root)) {
      assertEquals(6, s.count(), "root, lib, lib/deep and the three files; no manifest");
    }
    assertFalse(Files.exists(root.resolve("module.toml")));
  }

  @Test
  void admit_twice_reusesTheStoredTree_andADamagedStoredTreeIsReplaced() throws Exception {
    Path dir = signedTree();
    Admission adm = admission(FileTreeReader.Observer.NONE);
    Path root = adm.admit(dir).tree().root();
    Path stored = root.resolve("lib/util.py");
    Files.setPosixFilePermissions(stored, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(stored, "damaged");

    AdmittedModule again = adm.admit(dir);

    assertEquals(root, again.tree().root());
    assertEquals(-1L, Files.mismatch(dir.resolve("lib/util.py"), stored));
  }

  @Test
  void admit_fileChangedAfterSigning_refusedNamingIt() throws Exception {
    Path dir = signedTree();
    Files.writeString(dir.resolve("lib/util.py"), "def util():\n    return 2\n");

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.CHANGED, e.problem());
    assertEquals("lib/util.py", e.path());
    assertEquals(
        Sha256.digest("def util():\n    return 2\n".getBytes(StandardCharsets.UTF_8)).hex(),
        e.found());
  }

  @Test
  void admit_fileAddedAfterSigning_refusedNamingIt() throws Exception {
    Path dir = signedTree();
    Files.writeString(dir.resolve("lib/deep/sitecustomize.py"), "import os\n");

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.ADDED, e.problem());
    assertEquals("lib/deep/sitecustomize.py", e.path());
  }

  @Test
  void admit_fileRemovedAfterSigning_refusedNamingIt() throws Exception {
    Path dir = signedTree();
    Files.delete(dir.resolve("lib/util.py"));

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.REMOVED, e.problem());
    assertEquals("lib/util.py", e.path());
  }

  @Test
  void admit_fileSymlinkedOutAfterSigning_refusedNamingIt() throws Exception {
    Path dir = signedTree();
    Files.delete(dir.resolve("lib/util.py"));
    Files.createSymbolicLink(dir.resolve("lib/util.py"), Path.of("/etc/passwd"));

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.SYMLINK, e.problem());
    assertEquals("lib/util.py", e.path());
    assertEquals("/etc/passwd", e.found());
  }

  @Test
  void admit_directorySymlinkedOutAfterSigning_refusedNamingIt() throws Exception {
    Path dir = signedTree();
    Path moved = Files.move(dir.resolve("lib"), tmp.resolve("elsewhere"));
    Files.createSymbolicLink(dir.resolve("lib"), moved);

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.SYMLINK, e.problem());
    assertEquals("lib", e.path());
  }

  @Test
  void admit_fifoInsteadOfAFile_refusedWithoutOpeningIt() throws Exception {
    Path dir = signedTree();
    Files.delete(dir.resolve("lib/util.py"));
    Process p = new ProcessBuilder("mkfifo", dir.resolve("lib/util.py").toString()).start();
    assertEquals(0, p.waitFor());

    FileTreeException e = refused(dir);

    assertSame(FileTreeException.Problem.SPECIAL, e.problem());
    assertEquals("lib/util.py", e.path());
  }

  @Test
  void admit_anotherFileChangedWhileOneIsCopied_refusedNamingTheChangedOne() throws Exception {
    Path dir = signedTree();
    // lib/deep/data.json is read first (path order); while it is open, lib/util.py changes
    FileTreeException e =
        refused(
            dir,
            path -> {
              if (path.equals("lib/deep/data.json")) {
                Files.writeString(dir.resolve("lib/util.py"), "import os; os.system('x')\n");
              }
            });

    assertSame(FileTreeException.Problem.SIZE, e.problem());
    assertEquals("lib/util.py", e.path());
  }

  @Test
  void admit_fileRewrittenInPlaceWhileItIsCopied_refused_theStoreNeverHoldsUnverifiedBytes()
      throws Exception {
    Path dir = signedTree();
    byte[] evil = Fixtures.binary(3 << 20, 8);
    // the same inode, rewritten after it was opened: what is copied is what is hashed
    FileTreeException e =
        refused(
            dir,
            path -> {
              if (path.equals("lib/deep/data.json")) {
                Files.write(dir.resolve(path), evil, StandardOpenOption.WRITE);
              }
            });

    assertSame(FileTreeException.Problem.CHANGED, e.problem());
    assertEquals("lib/deep/data.json", e.path());
    assertEquals(Sha256.digest(evil).hex(), e.found());
  }

  @Test
  void admit_fileReplacedAfterItWasOpened_theOpenedSignedBytesAreStored() throws Exception {
    Path dir = signedTree();
    byte[] signed = Files.readAllBytes(dir.resolve("lib/deep/data.json"));
    Path evil = Files.write(tmp.resolve("evil.json"), Fixtures.binary(3 << 20, 9));
    AdmittedModule a =
        admission(
                path -> {
                  if (path.equals("lib/deep/data.json")) {
                    Files.move(evil, dir.resolve(path), StandardCopyOption.REPLACE_EXISTING);
                  }
                })
            .admit(dir);

    assertTrue(
        java.util.Arrays.equals(
            signed, Files.readAllBytes(a.tree().root().resolve("lib/deep/data.json"))),
        "the copy is the file that was opened and verified, not its replacement");
  }

  @Test
  void admit_olderBinaryManifest_onlyTheEntryIsStored() throws Exception {
    Path dir = Fixtures.module(tmp.resolve("modules"), "old", "1.0.0", CAPS);
    byte[] bin = Files.readAllBytes(dir.resolve("mod.bin"));
    Files.writeString(
        dir.resolve("module.toml"),
        "[binary]\nsha256 = \"" + Sha256.digest(bin) + "\"\nsize = " + bin.length + "\n",
        StandardOpenOption.APPEND);
    ModuleSigner.sign(dir, key, null, false);
    Files.writeString(dir.resolve("notes.txt"), "not signed, not mounted");
    Files.createSymbolicLink(dir.resolve("passwd"), Path.of("/etc/passwd"));

    AdmittedModule a = admission(FileTreeReader.Observer.NONE).admit(dir);

    assertEquals(Set.of("mod.bin"), a.tree().files().pins().keySet());
    try (Stream<Path> s = Files.list(a.tree().root())) {
      assertEquals(List.of(a.tree().root().resolve("mod.bin")), s.toList());
    }
  }

  @Test
  void admit_unsignedWithoutPins_storesTheDirectoryAsFound() throws Exception {
    Path dir = Fixtures.module(tmp.resolve("modules"), "dev", "1.0.0", CAPS);
    Files.writeString(dir.resolve("helper.py"), "x = 1\n");
    Policy p =
        Fixtures.policy(
            "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                + "[modules.dev]\nallow_unsigned = true\n");
    AdmittedModule a = Fixtures.admission(p, state()).admit(dir);

    assertTrue(a.unsigned());
    assertEquals(Set.of("helper.py", "mod.bin"), a.tree().files().pins().keySet());
    assertTrue(Files.isRegularFile(a.tree().root().resolve("helper.py")));
  }

  @Test
  void allowEntry_stateDirMadeHere_getsTheGroupAndMode0710() throws Exception {
    Admission a = admission(FileTreeReader.Observer.NONE);
    int gid = ownGid();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x---"));

    a.allowEntry(gid);
    a.admit(signedTree());

    for (Path d : List.of(state(), state().resolve("store"), state().resolve("store/trees"))) {
      assertEquals("rwx--x---", perms(d), d.toString());
      assertEquals(gid, Files.getAttribute(d, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }
    assertEquals("rw-------", perms(state().resolve("versions")));
  }

  @Test
  void allowEntry_stateDirTheOperatorMade0700_refusedNamingItAndTheFix() throws Exception {
    Files.createDirectory(state(), PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    Admission a = admission(FileTreeReader.Observer.NONE);

    AdmissionStateException e =
        assertThrows(AdmissionStateException.class, () -> a.allowEntry(ownGid()));

    assertEquals(state(), e.file());
    assertTrue(e.getMessage().contains("chmod g+x"), e.getMessage());
    assertEquals("rwx------", perms(state()), "an existing root is never changed");
  }

  private int ownGid() throws IOException {
    Path probe = Files.createTempFile(tmp, "gid", "");
    return (Integer) Files.getAttribute(probe, "unix:gid");
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }
}
