package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A launched module that never connects is FAILED after the policy's {@code
 * connect_timeout_seconds}, its process is ended, and the restart rule applies — with a real child
 * process that only sleeps.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectDeadlineTest {
  @TempDir Path tmp;

  @Test
  void moduleThatNeverConnects_failedAfterTheDeadline_processEnded_restartRuleApplies()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\nconnect_timeout_seconds = 1\n"
                    + "restart = { mode = \"always\", max_restarts = 1, window_seconds = 600,"
                    + " backoff_initial_ms = 10, backoff_max_ms = 10 }\n")
            .module("mute", "", "")) {
      Path dir = tmp.resolve("modules/mute");
      Files.writeString(dir.resolve("mod"), "#!/bin/sh\nexec sleep 300\n");
      fx.sign(dir);
      fx.start(b -> b.launcher(ModuleLauncher.plainProcesses()));
      long firstPid = fx.manager.status("mute").orElseThrow().pid().orElseThrow();
      assertTrue(ProcessHandle.of(firstPid).isPresent(), "the module process runs");

      assertTrue(fx.manager.awaitState("mute", ModuleState.FAILED, Duration.ofSeconds(15)));
      ModuleStatus failed = fx.manager.status("mute").orElseThrow();
      assertTrue(failed.detail().contains("did not connect within 1 s"), failed.detail());
      awaitEnded(firstPid);

      // restarted once (a new process), which again does not connect; then the budget is spent
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      ModuleStatus last = failed;
      while (!(fx.manager.restarts("mute") == 1
          && last != null
          && last.state() == ModuleState.FAILED
          && last.detail().contains("max_restarts"))) {
        assertTrue(System.nanoTime() < deadline, "not restarted and failed again: " + last);
        Thread.onSpinWait();
        // absent for a moment while the restart replaces the module
        last = fx.manager.status("mute").orElse(null);
      }
      assertTrue(last.detail().contains("did not connect within 1 s"), last.detail());
      long secondPid = last.pid().orElseThrow();
      assertFalse(secondPid == firstPid, "the restart launched a new process");
      awaitEnded(secondPid);
      assertEquals(1, fx.manager.restarts("mute"));
    }
  }

  private static void awaitEnded(long pid) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      assertTrue(System.nanoTime() < deadline, "process " + pid + " still runs");
      Thread.onSpinWait();
    }
  }
}
