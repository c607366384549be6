package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.DataUsage;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk-filling module, sandboxed: each file it writes is far below its per-file limit ({@code
 * disk_mb = 1}), yet the total of its data directory is bounded by {@code data_mb}. A module that
 * writes many small files past its limit, and one that hides its data in deleted files it keeps
 * open, are each stopped with the reason and not restarted (although their restart rule says
 * always); a module beside them that stays under its limit keeps running.
 */
class SandboxDataLimitIT {
  private static final String POLICY =
      "[defaults]\n"
          + "restart = { mode = \"always\", max_restarts = 5, window_seconds = 600,"
          + " backoff_initial_ms = 10, backoff_max_ms = 10 }\n"
          + "[defaults.limits]\n"
          + "disk_mb = 1\n"
          + "data_mb = 4\n"
          + "[modules.modest.limits]\n"
          + "data_mb = 8\n";

  @TempDir Path tmp;

  @Test
  void manySmallFilesOrDeletedFilesPastDataMb_stoppedWithTheReason_notRestarted_neighbourRuns()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    SandboxFixture.installNative(modules, "filler", "fill-64");
    SandboxFixture.installNative(modules, "hider", "hide-16");
    SandboxFixture.installNative(modules, "modest", "fill-2");
    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain(), POLICY)
            .dataUsage(Duration.ofMillis(200), 1000)
            .build()) {
      m.start();

      for (String id : new String[] {"filler", "hider"}) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (m.status(id).orElseThrow().state() != ModuleState.FAILED) {
          assertTrue(System.nanoTime() < deadline, id + " not stopped: " + m.statuses());
          Thread.sleep(20);
        }
      }
      ModuleStatus filler = m.status("filler").orElseThrow();
      assertTrue(
          filler
              .detail()
              .matches(
                  "data directory over its limit: \\d+ MiB of 4 MiB \\(data_mb\\); not restarted:"
                      + " free space in .*/filler, then start the module again"),
          filler.detail());
      ModuleStatus hider = m.status("hider").orElseThrow();
      assertTrue(
          hider
              .detail()
              .matches(
                  "data directory over its limit: \\d+ MiB of 4 MiB \\(data_mb\\); \\d+ MiB of it"
                      + " in deleted files held open; not restarted: .*"),
          hider.detail());
      Path fill = tmp.resolve("run/data/filler/fill");
      long largest;
      long total;
      try (Stream<Path> files = Files.list(fill)) {
        long[] sizes = files.mapToLong(SandboxDataLimitIT::size).toArray();
        largest = java.util.Arrays.stream(sizes).max().orElse(0);
        total = java.util.Arrays.stream(sizes).sum();
      }
      assertTrue(largest <= 1 << 20, "every file within disk_mb: " + largest);
      assertTrue(total > 4 << 20, "the files add up past data_mb: " + total);
      System.out.println(
          "filler wrote "
              + (total >> 10)
              + " KiB before it was stopped (data_mb = 4, measured every 200 ms)");

      // the neighbour: measured again and again, under its limit, still running
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (m.dataUsage("modest").map(u -> u.walks() < 5).orElse(true)) {
        assertTrue(System.nanoTime() < deadline, "modest not measured: " + m.statuses());
        Thread.sleep(20);
      }
      SandboxFixture.awaitLog(tmp.resolve("run/modest.out.log"), "fill wrote 2097152 errno 0");
      // the line is printed once the files are written; the loader measures them at its next
      // pass (every 200 ms), so the usage read right after the line can still be an older one
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (m.dataUsage("modest").map(u -> u.bytes() < 2 << 20).orElse(true)) {
        assertTrue(
            System.nanoTime() < deadline, "modest's 2 MiB not measured: " + m.dataUsage("modest"));
        Thread.sleep(20);
      }
      DataUsage u = m.dataUsage("modest").orElseThrow();
      assertTrue(u.bytes() >= 2 << 20 && u.bytes() < 3 << 20, u.toString());
      assertEquals(8L << 20, u.limitBytes());
      assertEquals(ModuleState.INITIALIZED, m.status("modest").orElseThrow().state());

      // a second of passes later: neither stopped module was restarted
      for (String id : new String[] {"filler", "hider"}) {
        assertEquals(0, m.restarts(id), id);
        assertEquals(ModuleState.FAILED, m.status(id).orElseThrow().state(), id);
        long pid = m.status(id).orElseThrow().pid().orElseThrow();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          assertTrue(System.nanoTime() < end, id + "'s sandbox still runs");
          Thread.sleep(20);
        }
      }
    }
  }

  /**
   * A module that makes a directory of its data unreadable to the loader's user: a root loader
   * reads it anyway and counts what is inside; an unprivileged loader cannot measure it and stops
   * the module, since what it cannot measure it cannot bound.
   */
  @Test
  void unreadableDirectory_rootMeasuresIt_unprivilegedLoaderStopsTheModule() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    SandboxFixture.installNative(modules, "locker", "lock");
    Path locked = tmp.resolve("run/data/locker/locked");
    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain(), "[defaults.limits]\ndata_mb = 8\n")
            .dataUsage(Duration.ofMillis(100), 1000)
            .build()) {
      m.start();
      SandboxFixture.awaitLog(tmp.resolve("run/locker.out.log"), "locked");
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      if (SandboxFixture.isRoot()) {
        // measured after it was locked: the 1 MiB inside counts
        while (m.dataUsage("locker").map(u -> u.bytes() < 1 << 20).orElse(true)) {
          assertTrue(System.nanoTime() < deadline, "not measured: " + m.statuses());
          Thread.sleep(20);
        }
        assertEquals(ModuleState.INITIALIZED, m.status("locker").orElseThrow().state());
      } else {
        while (m.status("locker").orElseThrow().state() != ModuleState.FAILED) {
          assertTrue(System.nanoTime() < deadline, "not stopped: " + m.statuses());
          Thread.sleep(20);
        }
        String why = m.status("locker").orElseThrow().detail();
        assertTrue(
            why.startsWith("data directory cannot be measured: .: ")
                && why.contains("locked")
                && why.contains("not restarted"),
            why);
      }
    } finally {
      // the module's uid owns it; give the test's cleanup its way back in
      if (Files.exists(locked)) {
        Files.setPosixFilePermissions(
            locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      }
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }
}
