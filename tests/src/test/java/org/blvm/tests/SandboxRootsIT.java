package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.policy.UnsafeRootException;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader changes nothing it did not create: a world-writable, sticky directory (like /tmp)
 * holding another user's files, with the loader's roots in a private directory inside it, is byte
 * for byte and mode for mode what it was after sandboxed modules ran beneath it; a root directly
 * inside it, or the directory itself as a root, is refused with the path, the problem and the fix.
 */
class SandboxRootsIT {
  @TempDir Path tmp;

  /**
   * Every entry below {@code dir}, except what lies inside the {@code loaders} directories (the
   * loader's roots, whose contents it owns): mode, owner, group, and the bytes of files.
   */
  private static Map<String, String> snapshot(Path dir, Path... loaders) throws Exception {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Stream.of(loaders).anyMatch(l -> p.startsWith(l) && !p.equals(l))) {
          continue;
        }
        String what =
            Integer.toOctalString(
                    (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS))
                + " "
                + Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)
                + ":"
                + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          what +=
              " "
                  + HexFormat.of()
                      .formatHex(
                          MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        }
        m.put(dir.relativize(p).toString(), what);
      }
    }
    return m;
  }

  private ModuleManager.Builder manager(SandboxOptions o, Path runtime, Path data) {
    return ModuleManager.builder()
        // a state directory per manager: one an earlier admission made 0700 and never let the
        // sandboxes into (its start was refused first) would be refused, as an operator's is
        .admission(ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime())))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(runtime)
        .dataDir(data)
        .backend(new SimulatedChain())
        .stopGrace(Duration.ofSeconds(2))
        .sandbox(o);
  }

  @Test
  void stickySharedParent_unchangedAfterSandboxedModulesRanBelowIt_rootsInItRefused()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    Files.setAttribute(shared, "unix:mode", 01777);
    Path theirs = Files.writeString(shared.resolve("their-notes.txt"), "precious\n");
    Path theirDir = Files.createDirectories(shared.resolve("their-dir"));
    Files.writeString(theirDir.resolve("x"), "x");
    Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rw-r--r--"));
    if (SandboxFixture.isRoot()) {
      for (Path p : List.of(theirs, theirDir, theirDir.resolve("x"))) {
        Files.setAttribute(p, "unix:uid", 65534); // another user's
      }
    }
    // the operator's private directory inside it, made enterable for the sandbox user
    Path mine = Files.createDirectories(shared.resolve("blvm"));
    SandboxFixture.letSandboxEnter(mine);
    if (!SandboxFixture.isRoot()) {
      Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rwx------"));
    }
    // a runtime root the operator made (the data root the loader makes itself)
    Path run = Files.createDirectories(mine.resolve("run"));
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-x--x"));
    Path data = mine.resolve("data");
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "reporter", SandboxFixture.CAPS, "");
    SandboxFixture.installNative(modules, "native-ok", "mod-ok");
    Map<String, String> before = snapshot(shared, run, data);

    // roots directly in the shared directory, or the shared directory itself: refused
    for (List<Path> roots : List.of(List.of(shared.resolve("run"), data), List.of(run, shared))) {
      try (ModuleManager m = manager(o, roots.get(0), roots.get(1)).build()) {
        UnsafeRootException e = assertThrows(UnsafeRootException.class, m::start);
        assertEquals(shared, e.path(), e.getMessage());
        assertTrue(e.getMessage().contains("mode 1777"), e.getMessage());
        assertFalse(e.fix().isEmpty());
      }
    }
    assertEquals(before, snapshot(shared, run, data));

    // roots in the private directory: modules run, and the shared directory is untouched
    try (ModuleManager m = manager(o, run, data).build()) {
      m.start();
      assertTrue(
          m.awaitState("reporter", ModuleState.STARTED, Duration.ofSeconds(60)), "" + m.statuses());
      assertTrue(
          m.awaitState("native-ok", ModuleState.INITIALIZED, Duration.ofSeconds(30)),
          "" + m.statuses());
      m.publish(EventType.NewBlock, new SimulatedChain().mineBlock(0));
    }
    before.remove("blvm/data"); // made by the loader during the first refused start
    Map<String, String> after = snapshot(shared, run, data);
    after.remove("blvm/data");
    assertEquals(before, after);
    assertEquals("precious\n", Files.readString(theirs));
  }
}
