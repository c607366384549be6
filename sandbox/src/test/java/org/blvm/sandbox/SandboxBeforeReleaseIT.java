package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work a launch waits for before its program runs (a new module's uid record): it runs after the
 * limits are in place; when it fails the sandbox ends and the program never ran.
 */
class SandboxBeforeReleaseIT {
  @TempDir Path tmp;

  @Test
  void failingBeforeRelease_programNeverRuns_sandboxEnded() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    Path data = setUp();
    SandboxException e =
        assertThrows(
            SandboxException.class,
            () ->
                sandbox.start(
                    spec(data),
                    () -> {
                      throw new IOException("record not written");
                    }));
    assertTrue(e.getMessage().contains("record not written"), e.getMessage());
    assertFalse(Files.exists(data.resolve("ran")), "the program ran");
  }

  @Test
  void beforeRelease_runsOnce_thenTheProgramRuns() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    Path data = setUp();
    int[] runs = {0};
    boolean[] ranBefore = {false};
    SandboxedProcess p =
        sandbox.start(
            spec(data),
            () -> {
              runs[0]++;
              ranBefore[0] = Files.exists(data.resolve("ran"));
            });
    assertFalse(ranBefore[0], "the program ran before the work it waits for");
    assertEquals(1, runs[0]);
    p.output().readAllBytes();
    assertEquals(0, p.onExit().get(30, TimeUnit.SECONDS));
    assertTrue(Files.exists(data.resolve("ran")));
  }

  @Test
  void interruptedCaller_launchEndsAsUsual_interruptKept() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    Path data = setUp();
    Thread.currentThread().interrupt();
    SandboxedProcess p;
    try {
      p = sandbox.start(spec(data));
    } finally {
      assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
    }
    p.output().readAllBytes();
    assertEquals(0, p.onExit().get(30, TimeUnit.SECONDS));
    assertTrue(Files.exists(data.resolve("ran")));
  }

  private Path setUp() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    sandbox.grantTraversal(tmp);
    sandbox.grantTraversal(dir);
    Path data = Files.createDirectories(dir.resolve("data"));
    sandbox.giveToSandbox(data, -1);
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.copy(Integration.helper(), bin.resolve("blvm-try"));
    return data;
  }

  private static SandboxSpec spec(Path data) throws ProfileException {
    Path bin = data.resolveSibling("bin");
    return new SandboxSpec(
        "before-release",
        SandboxSpec.Runtime.NATIVE,
        bin.resolve("blvm-try"),
        List.of("bigfile", data.resolve("ran").toString(), "1"),
        Map.of(),
        List.of(bin),
        List.of(data),
        null,
        data,
        Profile.named("default"),
        ResourceLimits.nativeDefaults(),
        false,
        -1);
  }
}
