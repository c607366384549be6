package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.blvm.policy.UnsafeRootException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager refuses to start on roots it must not own, and changes nothing about them. */
class LoaderRootsTest {
  @TempDir Path tmp;

  private Path worldWritable(String name) throws Exception {
    Path p = Files.createDirectories(tmp.resolve(name));
    Files.setAttribute(p, "unix:mode", 01777);
    Files.writeString(p.resolve("someone-elses"), "keep me");
    return p;
  }

  @Test
  void start_runtimeRootInWorldWritableDirectory_refusedWithPathProblemAndFix() throws Exception {
    Path shared = worldWritable("shared");
    try (LoaderFixture f = new LoaderFixture(tmp.resolve("f")).module("a", "", "")) {
      UnsafeRootException e =
          assertThrows(
              UnsafeRootException.class, () -> f.start(b -> b.runtimeDir(shared.resolve("run"))));

      assertEquals("runtimeDir", e.setting());
      assertEquals(shared, e.path());
      assertTrue(
          e.getMessage().contains("writable by group and others (mode 1777)"), e.getMessage());
      assertTrue(e.getMessage().contains("mkdir -m 0700"), e.getMessage());
      assertTrue(f.launcher.specs.isEmpty(), "nothing may be launched");
    }
    assertEquals(01777, (int) (Integer) Files.getAttribute(shared, "unix:mode") & 07777);
    assertFalse(Files.exists(shared.resolve("run")));
    assertEquals("keep me", Files.readString(shared.resolve("someone-elses")));
  }

  @Test
  void start_dataRootWorldWritable_refused_unchanged() throws Exception {
    Path shared = worldWritable("data");
    try (LoaderFixture f = new LoaderFixture(tmp.resolve("f")).module("a", "", "")) {
      UnsafeRootException e =
          assertThrows(UnsafeRootException.class, () -> f.start(b -> b.dataDir(shared)));

      assertEquals("dataDir", e.setting());
      assertEquals("chmod go-w " + shared, e.fix());
    }
    assertEquals(01777, (int) (Integer) Files.getAttribute(shared, "unix:mode") & 07777);
    try (var entries = Files.list(shared)) {
      assertEquals(1, entries.count(), "no module directory made in it");
    }
  }

  @Test
  void start_existingPrivateRoots_usedAsTheyAre() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("mine/run"));
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-x---"));
    try (LoaderFixture f = new LoaderFixture(tmp.resolve("f")).module("a", "", "")) {
      f.start(b -> b.runtimeDir(run));
      assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(run)));
      assertTrue(Files.isDirectory(run.resolve("a")));
    }
  }
}
