package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roots the loader is told to own: created when missing, otherwise checked and never changed; the
 * refusal names the directory, what is wrong and the fix.
 */
class LoaderRootTest {
  @TempDir Path tmp;

  private static Path dir(Path p, String mode) throws Exception {
    Files.createDirectories(p);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    return p;
  }

  /** Mode (with the sticky bit), owner, group and modification time. */
  private static List<Object> state(Path p) throws Exception {
    return List.of(
        Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS),
        Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS),
        Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS),
        Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
  }

  private static void sticky(Path p) throws Exception {
    Files.setAttribute(p, "unix:mode", 01777);
  }

  private static int myGid(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:gid");
  }

  @Test
  void prepare_missing_createdPrivate() throws Exception {
    Path root = tmp.resolve("run");

    assertTrue(LoaderRoot.prepare(root, "runtimeDir", -1));

    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
    assertFalse(LoaderRoot.prepare(root, "runtimeDir", -1), "the second time it exists");
  }

  @Test
  void prepare_existingFitRoot_acceptedUnchanged() throws Exception {
    Path root = dir(tmp.resolve("run"), "rwxr-x--x");
    List<Object> before = state(root);

    assertFalse(LoaderRoot.prepare(root, "runtimeDir", -1));

    assertEquals(before, state(root));
  }

  @Test
  void prepare_rootWritableByOthers_refusedWithFix_andUnchanged() throws Exception {
    Path root = dir(tmp.resolve("shared"), "rwxrwxrwx");
    sticky(root);
    List<Object> before = state(root);

    UnsafeRootException e =
        assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(root, "dataDir", -1));

    assertEquals(root, e.path());
    assertEquals("dataDir", e.setting());
    assertEquals("is writable by group and others (mode 1777)", e.problem());
    assertEquals("chmod go-w " + root, e.fix());
    assertTrue(e.getMessage().contains(root.toString()) && e.getMessage().contains("chmod go-w"));
    assertEquals(before, state(root));
  }

  @Test
  void prepare_rootInsideWorldWritableDirectory_refused_nothingCreated() throws Exception {
    Path shared = dir(tmp.resolve("shared"), "rwxrwxrwx");
    sticky(shared);
    Path mine = dir(shared.resolve("mine"), "rwx------");
    List<Object> before = state(shared);

    for (Path root : List.of(shared.resolve("run"), mine)) {
      UnsafeRootException e =
          assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(root, "runtimeDir", -1));
      assertEquals(shared, e.path(), e.getMessage());
      assertTrue(e.problem().contains("is writable by group and others (mode 1777)"), e.problem());
      assertEquals(
          "mkdir -m 0700 " + shared.resolve("blvm") + " and put the root inside it", e.fix());
    }
    assertFalse(Files.exists(shared.resolve("run")));
    assertEquals(before, state(shared));
  }

  @Test
  void prepare_belowOwnDirectoryInStickyDirectory_accepted() throws Exception {
    Path shared = dir(tmp.resolve("shared"), "rwxrwxrwx");
    sticky(shared);
    Path mine = dir(shared.resolve("mine"), "rwx------");

    assertTrue(LoaderRoot.prepare(mine.resolve("run"), "runtimeDir", -1));
  }

  @Test
  void prepare_ancestorWritableWithoutStickyBit_refused() throws Exception {
    Path open = dir(tmp.resolve("open"), "rwxrwxrwx");
    Path mine = dir(open.resolve("mine"), "rwx------");

    UnsafeRootException e =
        assertThrows(
            UnsafeRootException.class,
            () -> LoaderRoot.prepare(mine.resolve("run"), "runtimeDir", -1));

    assertEquals(open, e.path());
    assertEquals("chmod go-w " + open, e.fix());
  }

  @Test
  void prepare_symlinkOrFile_refused() throws Exception {
    Path real = dir(tmp.resolve("real"), "rwx------");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    Path file = Files.writeString(tmp.resolve("file"), "x");

    assertEquals(
        "is a symbolic link",
        assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(link, "dataDir", -1))
            .problem());
    assertEquals(
        "exists and is not a directory",
        assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(file, "dataDir", -1))
            .problem());
  }

  @Test
  void prepare_parentMissing_refusedWithMkdir() throws Exception {
    Path root = tmp.resolve("a/b/run");

    UnsafeRootException e =
        assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(root, "runtimeDir", -1));

    assertEquals("mkdir -p " + tmp.resolve("a/b"), e.fix());
    assertFalse(Files.exists(tmp.resolve("a")));
  }

  @Test
  void prepare_ownedByAnotherUser_refused() throws Exception {
    Path root = dir(tmp.resolve("theirs"), "rwx------");
    int me = LoaderRoot.effectiveUid();
    if (me == 0) {
      Files.setAttribute(root, "unix:uid", 65534);
      UnsafeRootException e =
          assertThrows(UnsafeRootException.class, () -> LoaderRoot.prepare(root, "dataDir", -1));
      assertEquals("is owned by uid 65534, not by the loader's uid 0", e.problem());
      assertEquals(65534, Files.getAttribute(root, "unix:uid"), "never taken over");
    } else {
      // an unprivileged user cannot give a directory away; its own is accepted
      assertFalse(LoaderRoot.prepare(root, "dataDir", -1));
    }
  }

  @Test
  void prepare_enterGroup_createdRootLetsTheGroupIn_existingOneMustAlready() throws Exception {
    int gid = myGid(tmp);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x---"));
    Path created = tmp.resolve("run");

    assertTrue(LoaderRoot.prepare(created, "runtimeDir", gid));

    assertEquals(gid, myGid(created));
    assertEquals(
        "rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(created)));

    Path closed = dir(tmp.resolve("closed"), "rwx------");
    List<Object> before = state(closed);
    UnsafeRootException e =
        assertThrows(
            UnsafeRootException.class, () -> LoaderRoot.prepare(closed, "dataDir", gid + 1));
    assertEquals(closed, e.path());
    assertTrue(e.problem().startsWith("cannot be entered by the sandboxes"), e.problem());
    assertEquals(
        "chgrp "
            + (gid + 1)
            + " "
            + closed
            + " && chmod g+x "
            + closed
            + " (or chmod o+x "
            + closed
            + ")",
        e.fix());
    assertEquals(before, state(closed));
  }

  @Test
  void requireEnterable_sharedAncestorsLookedAtOnce_aClosedBranchStillRefused() throws Exception {
    int gid = myGid(tmp);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x---"));
    Path open = dir(tmp.resolve("root/open"), "rwx--x---");
    Path closed = dir(tmp.resolve("root/closed"), "rwx------");
    java.util.Set<Path> entered = new java.util.HashSet<>();

    LoaderRoot.requireEnterable(open, gid, "module m", entered);

    assertTrue(
        entered.containsAll(List.of(open, tmp.resolve("root"), tmp, Path.of("/"))), "" + entered);
    UnsafeRootException e =
        assertThrows(
            UnsafeRootException.class,
            () -> LoaderRoot.requireEnterable(closed, gid, "module m", entered));
    assertEquals(closed, e.path());
    assertFalse(entered.contains(closed));
    // a directory already looked at in this pass is not looked at again
    entered.add(closed);
    LoaderRoot.requireEnterable(closed, gid, "module m", entered);
  }

  @Test
  void admission_stateDirInWorldWritableDirectory_refused() throws Exception {
    Path shared = dir(tmp.resolve("shared"), "rwxrwxrwx");
    sticky(shared);

    AdmissionStateException e =
        assertThrows(
            AdmissionStateException.class,
            () -> Fixtures.admission(Fixtures.trusting(Fixtures.key()), shared.resolve("state")));

    assertEquals(shared, e.file());
    assertTrue(e.getMessage().contains("stateDir"), e.getMessage());
    assertFalse(Files.exists(shared.resolve("state")));
  }
}
