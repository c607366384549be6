package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.blvm.testsupport.LogCapture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warning at start when the loader's own directories share the data root's filesystem: one
 * WARNING line naming them, and the same facts in {@link ModuleManager#storageStatus()}.
 */
class StorageCheckTest {
  @TempDir Path tmp;

  private static Object dev(Path p) throws Exception {
    return Files.getAttribute(p, "unix:dev");
  }

  @Test
  void check_sameFilesystem_oneWarningNamingEachSharingDirectory() throws Exception {
    Path data = Files.createDirectory(tmp.resolve("data"));
    Path run = Files.createDirectory(tmp.resolve("run"));
    Path state = Files.createDirectory(tmp.resolve("state"));
    Map<String, Path> own = new LinkedHashMap<>();
    own.put("runtimeDir", run);
    own.put("stateDir", state);
    own.put("auditLog directory", tmp.resolve("not-made")); // skipped: does not exist
    List<String> lines = new ArrayList<>();
    LogCapture log = LogCapture.install("blvm.loader", lines);
    StorageStatus s;
    try {
      s = StorageCheck.check(data, own);
    } finally {
      log.uninstall();
    }

    assertTrue(s.checked());
    assertEquals(List.of("runtimeDir " + run, "stateDir " + state), s.sharingDataFilesystem());
    String w = s.warning().orElseThrow();
    assertTrue(
        w.startsWith(
            "runtimeDir "
                + run
                + ", stateDir "
                + state
                + " are on the same filesystem as the module data root "
                + data
                + ":"),
        w);
    assertTrue(w.contains("docs/operations.md"), w);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("WARNING") && lines.get(0).contains(w), lines.get(0));
  }

  @Test
  void check_dataRootOnAnotherFilesystem_noWarning() throws Exception {
    Path shm = Path.of("/dev/shm");
    Assumptions.assumeTrue(
        Files.isDirectory(shm) && Files.isWritable(shm),
        "skipped: no writable /dev/shm (a tmpfs) to put a data root on another filesystem");
    Path run = Files.createDirectory(tmp.resolve("run"));
    Assumptions.assumeFalse(
        dev(shm).equals(dev(run)),
        "skipped: /dev/shm is on the same filesystem as " + run + ", no second filesystem");
    // a private directory of this test's own on the tmpfs
    Path data =
        Files.createTempDirectory(
            shm,
            "blvm-test-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      StorageStatus s = StorageCheck.check(data, Map.of("runtimeDir", run));

      assertTrue(s.checked());
      assertEquals(List.of(), s.sharingDataFilesystem());
      assertEquals(Optional.empty(), s.warning());
    } finally {
      Files.delete(data);
    }
  }

  @Test
  void manager_startWithTheDefaultLayout_warns_andStatusSaysSo() throws Exception {
    List<String> lines = new ArrayList<>();
    LogCapture log = LogCapture.install("blvm.loader", lines);
    try (LoaderFixture fx = new LoaderFixture(tmp)) {
      fx.start(b -> {});

      StorageStatus s = fx.manager.storageStatus();
      assertTrue(s.checked());
      assertEquals(
          List.of("runtimeDir " + tmp.resolve("run"), "stateDir " + tmp.resolve("state")),
          s.sharingDataFilesystem(),
          "the data root defaults to runtimeDir/data");
      assertEquals(
          1,
          lines.stream().filter(l -> l.contains("same filesystem as the module data root")).count(),
          lines.toString());
    } finally {
      log.uninstall();
    }
  }
}
