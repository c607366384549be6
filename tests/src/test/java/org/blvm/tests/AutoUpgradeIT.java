package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.policy.Admission;
import org.blvm.policy.Policy;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy {@code auto_upgrade = true} with real module processes: a new signed version copied into
 * the module's directory runs without any operator command; a module without it keeps its pinned
 * version.
 */
class AutoUpgradeIT {
  @TempDir Path tmp;

  private String ratchet() {
    try {
      return Files.readString(tmp.resolve("state/versions"));
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void newVersionCopiedIn_runsWithoutAnOperatorCommand_onlyWhereThePolicySaysSo() throws Exception {
    String toml =
        "auto_upgrade_interval_seconds = 10\n"
            + ModuleFixture.policyHeader()
            + "[defaults]\ncapabilities = ["
            + LifecycleIT.CAPS
            + "]\n[modules.svc]\nauto_upgrade = true\n";
    Admission admission =
        Admission.builder()
            .policy(Policy.parse("test-policy.toml", toml.getBytes(StandardCharsets.UTF_8)))
            .stateDir(tmp.resolve("state"))
            .build();
    Path modules = tmp.resolve("modules");
    ModuleFixture.install(modules, "svc", "1.0.0", LifecycleIT.CAPS, "", ModuleFixture.key());
    ModuleFixture.install(modules, "pinned", "1.0.0", LifecycleIT.CAPS, "", ModuleFixture.key());
    try (ModuleManager m =
        ModuleManager.builder()
            .launcher(ModuleLauncher.plainProcesses())
            .admission(admission)
            .modulesDir(modules)
            .runtimeDir(tmp.resolve("run"))
            .backend(new SimulatedChain())
            .stopGrace(Duration.ofSeconds(2))
            .build()) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      long before = m.status("svc").orElseThrow().pid().orElseThrow();
      ModuleFixture.install(modules, "svc", "1.1.0", LifecycleIT.CAPS, "", ModuleFixture.key());
      ModuleFixture.install(modules, "pinned", "1.1.0", LifecycleIT.CAPS, "", ModuleFixture.key());

      // no operator command: within two intervals (10 s each) and the upgrade, 1.1.0 runs
      Poll.until(
          () ->
              m.status("svc")
                  .map(s -> s.state() == ModuleState.STARTED && "1.1.0".equals(s.version()))
                  .orElse(false),
          Duration.ofSeconds(90),
          "svc 1.1.0 STARTED by the automatic upgrade; now " + m.status("svc"));
      assertTrue(m.status("svc").orElseThrow().pid().orElseThrow() != before, "a new process runs");
      // the upgrade records the version just after STARTED: wait for that, bounded
      Poll.until(
          () -> ratchet().contains("\nsvc 1.1.0 "),
          Duration.ofSeconds(30),
          "the ratchet records svc 1.1.0 once it ran");
      assertEquals(
          "1.0.0",
          m.status("pinned").orElseThrow().version(),
          "a module without auto_upgrade keeps its pinned version");
      assertEquals(ModuleState.STARTED, m.status("pinned").orElseThrow().state());
    }
  }
}
