package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled seccomp filter is kept by the loader and handed to each sandbox as a sealed copy: a
 * sandboxed program cannot reach the copy it was started with, and what it does cannot change the
 * filter the next sandbox gets.
 */
class SeccompCacheIT {
  @TempDir Path tmp;

  @Test
  void cachedFilter_notReachableFromTheSandbox_andTheNextLaunchStillDenies() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    sandbox.grantTraversal(tmp);
    Path data = Files.createDirectories(tmp.resolve("data/me"));
    sandbox.giveToSandbox(data, -1);
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Files.copy(Integration.helper(), bin.resolve("blvm-try"));
    Profile profile = Profile.named("default");
    byte[] fresh = profile.compileFresh(Set.of());

    // the program sees only its stdio: not the filter's memfd, not the loader's descriptors
    String fds = run(sandbox, bin, data, profile, "fds");
    List<String> open = new ArrayList<>();
    for (String line : fds.split("\n")) {
      if (line.startsWith("fd ")) {
        open.add(line.split(" ")[1]);
      }
    }
    assertEquals(List.of("0", "1", "2"), open, fds);

    // two launches from the cache: the filter still denies in both, and is unchanged after them
    for (int i = 0; i < 2; i++) {
      String out = run(sandbox, bin, data, profile, "syscalls");
      assertTrue(out.contains("ptrace " + SandboxAttackIT.EPERM), out);
      assertTrue(out.contains("socket_inet " + SandboxAttackIT.EAFNOSUPPORT), out);
    }
    int fd = Profile.named("default").compileToMemfd(Set.of());
    try {
      assertArrayEquals(fresh, SeccompCacheTest.readAll(fd));
    } finally {
      Libc.closeQuietly(fd);
    }
  }

  private static String run(Sandbox sandbox, Path bin, Path data, Profile p, String mode)
      throws Exception {
    SandboxedProcess proc =
        sandbox.start(
            new SandboxSpec(
                "try",
                SandboxSpec.Runtime.NATIVE,
                bin.resolve("blvm-try"),
                List.of(mode),
                Map.of("HOME", data.toString()),
                List.of(bin),
                List.of(data),
                null,
                data,
                p,
                ResourceLimits.nativeDefaults(),
                false,
                -1));
    String out;
    try (InputStream in = proc.output()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(0, proc.onExit().get(60, TimeUnit.SECONDS), out);
    return out;
  }
}
