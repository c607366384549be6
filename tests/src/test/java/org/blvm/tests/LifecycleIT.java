package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module's life across versions with real module processes: a run and its automatic restarts keep
 * the store copy admitted when it started, whatever the modules directory holds by then.
 */
class LifecycleIT {
  static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\"";

  /** Fast automatic restarts, so that a test sees several. */
  static final String POLICY =
      "[defaults]\ncapabilities = ["
          + CAPS
          + "]\nrestart = { mode = \"on_failure\", max_restarts = 5, window_seconds = 600,"
          + " backoff_initial_ms = 10, backoff_max_ms = 40 }\n";

  @TempDir Path tmp;

  private ModuleManager manager(SimulatedChain chain) {
    return ModuleManager.builder()
        .launcher(ModuleLauncher.plainProcesses())
        .admission(ModuleFixture.admission(tmp.resolve("state"), POLICY))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(chain)
        .stopGrace(Duration.ofSeconds(2))
        .build();
  }

  private static ModuleStatus status(ModuleManager m, String id) {
    return m.status(id).orElseThrow();
  }

  @Test
  void crashRestart_afterANewVersionWasCopiedIn_stillRunsThePinnedVersion() throws Exception {
    Path modules = tmp.resolve("modules");
    ModuleFixture.install(
        modules, "pinned", "1.0.0", CAPS, "exit_after_blocks = 1", ModuleFixture.key());
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      // a newer, validly signed version lands in the directory while 1.0.0 runs
      ModuleFixture.install(modules, "pinned", "1.1.0", CAPS, "", ModuleFixture.key());
      for (int crash = 1; crash <= 2; crash++) {
        long restarts = crash;
        m.publish(EventType.NewBlock, chain.mineBlock(0));
        Poll.until(
            () ->
                m.restarts("pinned") >= restarts
                    && m.status("pinned").map(s -> s.state() == ModuleState.STARTED).orElse(false),
            Duration.ofSeconds(60),
            "restart " + crash + " of pinned reaches STARTED");
        // 1.0.0 again, with its own config: it crashes after one block again
        assertEquals("1.0.0", status(m, "pinned").version(), status(m, "pinned").toString());
      }
      // an operator's restart keeps the pinned copy too; only an upgrade takes the new version
      assertEquals("1.0.0", m.restartModule("pinned").version());
    }
  }
}
