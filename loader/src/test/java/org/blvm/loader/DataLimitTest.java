package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data_mb} through the manager, with real (unsandboxed) child processes: a module writing
 * many small files past its limit is FAILED with the reason, its process ended, and it is not
 * restarted even though its restart rule says always; a module beside it that stays under its limit
 * is measured and left alone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DataLimitTest {
  @TempDir Path tmp;

  private static void script(LoaderFixture fx, Path dir, String body) throws Exception {
    Files.writeString(dir.resolve("mod"), "#!/bin/sh\n" + body);
    fx.sign(dir);
  }

  @Test
  void moduleFillingItsDataDir_failedWithTheReason_notRestarted_neighbourUntouched()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\nrestart = { mode = \"always\", max_restarts = 5, window_seconds = 600,"
                    + " backoff_initial_ms = 10, backoff_max_ms = 10 }\n"
                    + "[defaults.limits]\ndata_mb = 2\n")
            .module("filler", "", "")
            .module("modest", "", "")) {
      // 64 KiB files, 400 of them (25 MiB), each far below any per-file limit
      script(
          fx,
          tmp.resolve("modules/filler"),
          "mkdir -p \"$BLVM_DATA_DIR/fill\"\n"
              + "i=0; while [ $i -lt 400 ]; do\n"
              + "  head -c 65536 /dev/zero > \"$BLVM_DATA_DIR/fill/f$i\"; i=$((i+1))\n"
              + "done\nexec sleep 300\n");
      script(
          fx,
          tmp.resolve("modules/modest"),
          "head -c 102400 /dev/zero > \"$BLVM_DATA_DIR/state\"\nexec sleep 300\n");
      fx.start(
          b -> b.launcher(ModuleLauncher.plainProcesses()).dataUsage(Duration.ofMillis(100), 1000));
      long pid = fx.manager.status("filler").orElseThrow().pid().orElseThrow();

      assertTrue(fx.manager.awaitState("filler", ModuleState.FAILED, Duration.ofSeconds(20)));

      ModuleStatus st = fx.manager.status("filler").orElseThrow();
      assertTrue(
          st.detail()
              .matches(
                  "data directory over its limit: \\d+ MiB of 2 MiB \\(data_mb\\); not restarted:"
                      + " free space in .*/filler, then start the module again"),
          st.detail());
      Poll.until(
          () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true),
          Duration.ofSeconds(10),
          "the filler's process ended");
      long files;
      try (var s = Files.list(tmp.resolve("run/data/filler/fill"))) {
        files = s.count();
      }
      assertTrue(files < 400, "stopped before it wrote everything: " + files + " files");
      assertEquals(0, fx.manager.restartPolicy().decisions("filler"), "no restart was considered");
      assertEquals(0, fx.manager.restarts("filler"));
      assertEquals(ModuleState.FAILED, fx.manager.status("filler").orElseThrow().state());
      assertTrue(fx.manager.dataUsage("filler").isEmpty(), "no longer measured");

      Poll.until(
          () -> fx.manager.dataUsage("modest").map(u -> u.walks() >= 3).orElse(false),
          Duration.ofSeconds(10),
          "the neighbour measured again and again");
      DataUsage u = fx.manager.dataUsage("modest").orElseThrow();
      assertTrue(u.bytes() >= 100 << 10 && u.bytes() < 2 << 20, u.toString());
      assertEquals(2L << 20, u.limitBytes());
      assertEquals(100_000, u.limitEntries(), "the loader's default data_files");
      assertEquals(ModuleState.LOADED, fx.manager.status("modest").orElseThrow().state());

      // the operator's way back: unload, free space, start again (it fills again and is stopped)
      fx.manager.unloadModule("filler");
      try (var s = Files.list(tmp.resolve("run/data/filler/fill"))) {
        for (Path f : (Iterable<Path>) s::iterator) {
          Files.delete(f);
        }
      }
      ModuleStatus again = fx.manager.startModule(tmp.resolve("modules/filler"));
      assertTrue(again.pid().isPresent() && again.pid().getAsLong() != pid, again.toString());
      assertTrue(fx.manager.awaitState("filler", ModuleState.FAILED, Duration.ofSeconds(20)));
      assertTrue(
          fx.manager.status("filler").orElseThrow().detail().startsWith("data directory over"));
    }
  }

  @Test
  void builder_dataSettingsOutOfRange_eachReportedWithWhatWasFound() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ModuleManager.builder()
                    .dataLimits(0, 10_000_001)
                    .dataUsage(Duration.ofMillis(99), 99)
                    .build());
    assertTrue(
        e.getMessage()
            .contains(
                "dataLimits needs mb in 1..16777216 and files in 1..10000000, found 0 and"
                    + " 10000001"),
        e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(
                "dataUsage needs an interval from 100 ms to 1 h and at least 100 entries per"
                    + " pass, found PT0.099S and 99"),
        e.getMessage());
  }
}
