package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleRollback;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStateChange;
import org.blvm.loader.ModuleStatus;
import org.blvm.loader.ModuleUpgrade;
import org.blvm.loader.PolicyReload;
import org.blvm.policy.Policy;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's restart, upgrade and unload of a dependency, and its stop by a policy reload, with
 * real module processes: its dependents are stopped first, innermost first, naming the dependency,
 * and started again in dependency order once it is STARTED again.
 */
class DependencyCascadeIT {
  @TempDir Path tmp;

  private final List<ModuleStateChange> changes = new CopyOnWriteArrayList<>();

  private ModuleManager manager() {
    return manager(new SimulatedChain(), LifecycleIT.POLICY);
  }

  private ModuleManager manager(SimulatedChain chain, String policy) {
    return DependenciesIT.manager(tmp, chain, policy, changes);
  }

  /** base ← mid ← leaf (leaf requires both). */
  private void installChain() throws Exception {
    install("base", "1.0.0", "");
    install("mid", "1.0.0", "base = \">=1.0.0, <2.0.0\"\n");
    install("leaf", "1.0.0", "mid = \">=1.0.0\"\nbase = \">=1.0.0\"\n");
  }

  private void install(String name, String version, String dependencies) throws Exception {
    DependenciesIT.install(tmp.resolve("modules"), name, version, dependencies);
  }

  private int when(String module, ModuleState to, int from) {
    return DependenciesIT.when(changes, module, to, from);
  }

  /** The chain installed and STARTED. */
  private ModuleManager startedChain() throws Exception {
    installChain();
    ModuleManager m = manager();
    m.start();
    m.awaitAllStarted(Duration.ofSeconds(90));
    return m;
  }

  /**
   * Since {@code mark}: leaf stopped, then mid, then base, each dependent with a detail containing
   * {@code why}; base STARTED again before mid said hello, mid STARTED before leaf said hello.
   */
  private void assertCascade(ModuleManager m, int mark, String why) throws Exception {
    awaitStarted(m, "base", "mid", "leaf");
    int leafStopped = when("leaf", ModuleState.STOPPED, mark);
    int midStopping = when("mid", ModuleState.STOPPING, mark);
    int midStopped = when("mid", ModuleState.STOPPED, mark);
    int baseStopping = when("base", ModuleState.STOPPING, mark);
    assertTrue(leafStopped < midStopping && midStopped < baseStopping, changes.toString());
    for (int i : new int[] {leafStopped, midStopped}) {
      assertTrue(changes.get(i).detail().contains(why), changes.get(i).toString());
    }
    int baseStarted = when("base", ModuleState.STARTED, baseStopping);
    assertTrue(
        baseStarted < when("mid", ModuleState.INITIALIZED, midStopped)
            && when("mid", ModuleState.STARTED, midStopped)
                < when("leaf", ModuleState.INITIALIZED, leafStopped),
        changes.toString());
  }

  @Test
  void restartAndUpgradeOfADependency_stopItsDependentsInnermostFirst_andStartThemAfterIt()
      throws Exception {
    try (ModuleManager m = startedChain()) {

      int mark = changes.size();
      m.restartModule("base");
      assertCascade(m, mark, "stopped: its dependency base is restarted");

      // the new version is STARTED before its dependents say hello again
      install("base", "1.1.0", "");
      mark = changes.size();
      ModuleUpgrade up = m.upgradeModule("base");
      assertEquals(ModuleUpgrade.Outcome.UPGRADED, up.outcome(), up.toString());
      assertCascade(m, mark, "stopped: its dependency base is upgraded");
      assertEquals("1.1.0", m.status("base").orElseThrow().version());

      // a version outside mid's range: mid (and leaf, which needs mid) stay STOPPED
      install("base", "2.0.0", "");
      mark = changes.size();
      ModuleUpgrade outside = m.upgradeModule("base");
      assertEquals(ModuleUpgrade.Outcome.UPGRADED, outside.outcome(), outside.toString());
      when("base", ModuleState.STARTED, mark);
      int from = mark;
      Poll.until(
          () -> m.dependencies("mid").dependsOn().get(0).version().equals("2.0.0"),
          Duration.ofSeconds(30),
          "base 2.0.0 loaded");
      try {
        m.startModule("mid");
        throw new AssertionError("mid started beside base 2.0.0");
      } catch (IllegalStateException e) {
        assertEquals(
            "module mid cannot start: dependency base (>=1.0.0, <2.0.0) is at version 2.0.0,"
                + " outside the range",
            e.getMessage());
      }
      for (String id : List.of("mid", "leaf")) {
        assertEquals(ModuleState.STOPPED, m.status(id).orElseThrow().state(), changes.toString());
        assertTrue(
            changes.subList(from, changes.size()).stream()
                .noneMatch(c -> c.module().equals(id) && c.to().isLive()),
            id + " not started again: " + changes);
      }
    }
  }

  @Test
  void
      anUnchangedUpgradeOfADependency_leavesItsDependentsRunning_andARollback_cascadesLikeAnUpgrade()
          throws Exception {
    try (ModuleManager m = startedChain()) {
      install("base", "1.1.0", "");
      ModuleUpgrade up = m.upgradeModule("base");
      assertEquals(ModuleUpgrade.Outcome.UPGRADED, up.outcome(), up.toString());
      awaitStarted(m, "base", "mid", "leaf");

      // the directory holds what runs: UNCHANGED, base never stopped, its dependents running again
      int mark = changes.size();
      ModuleUpgrade same = m.upgradeModule("base");
      assertEquals(ModuleUpgrade.Outcome.UNCHANGED, same.outcome(), same.toString());
      awaitStarted(m, "base", "mid", "leaf");
      assertTrue(
          changes.subList(mark, changes.size()).stream()
              .noneMatch(c -> c.module().equals("base") && !c.to().isLive()),
          "base not stopped: " + changes);
      when("mid", ModuleState.STOPPED, mark); // stopped before the admission, started again at once

      // back to 1.0.0: dependents stopped first, started again after 1.0.0 is STARTED
      mark = changes.size();
      ModuleRollback back = m.rollbackModule("base");
      assertEquals(ModuleRollback.Outcome.ROLLED_BACK, back.outcome(), back.toString());
      assertCascade(m, mark, "stopped: its dependency base is rolled back");
      assertEquals("1.0.0", m.status("base").orElseThrow().version());
    }
  }

  @Test
  void unloadOrAPolicyReloadStoppingADependency_stopsItsDependentsFirst_namingIt()
      throws Exception {
    try (ModuleManager m = startedChain()) {

      int mark = changes.size();
      m.unloadModule("base");
      assertTrue(m.status("base").isEmpty(), "base unloaded");
      for (String id : List.of("mid", "leaf")) {
        assertEquals(ModuleState.STOPPED, m.status(id).orElseThrow().state(), changes.toString());
        assertTrue(
            m.status(id)
                .orElseThrow()
                .detail()
                .contains("stopped: its dependency base was" + " unloaded"),
            m.status(id).toString());
      }
      // admitted from its directory again: its dependents come back after it
      m.startModule("base");
      assertCascade(m, mark, "stopped: its dependency base was unloaded");

      // a reload no longer allowing a capability base declares stops base; leaf and mid follow
      mark = changes.size();
      String narrowed =
          LifecycleIT.POLICY
              + "[modules.base]\ncapabilities = [\"read_blockchain\", \"subscribe_events\","
              + " \"publish_events\"]\n";
      PolicyReload r =
          m.reloadPolicy(
              Policy.parse(
                  "narrowed.toml",
                  ModuleFixture.policyText(narrowed).getBytes(StandardCharsets.UTF_8)));
      assertEquals(
          List.of("base"), r.stopped().stream().map(PolicyReload.Stopped::module).toList());
      Poll.until(
          () ->
              List.of("mid", "leaf").stream()
                  .allMatch(
                      id ->
                          m.status(id).map(s -> s.state() == ModuleState.STOPPED).orElse(false)
                              && DependenciesIT.lastChange(changes, id) == ModuleState.STOPPED),
          Duration.ofSeconds(30),
          "mid and leaf stopped after base, and reported so");
      int baseStopping = when("base", ModuleState.STOPPING, mark);
      int leafStopped = when("leaf", ModuleState.STOPPED, mark);
      assertTrue(
          baseStopping < when("leaf", ModuleState.STOPPING, mark)
              && leafStopped < when("mid", ModuleState.STOPPING, mark),
          "base first (the reload stopped it), then leaf, then mid: " + changes);
      for (String id : List.of("mid", "leaf")) {
        String detail = m.status(id).orElseThrow().detail();
        assertTrue(detail.startsWith("stopped: its dependency base stopped ("), detail);
        assertTrue(detail.contains("register_module_api"), detail);
      }
    }
  }

  @Test
  void aDependentsCrashRestart_whileItsDependencyIsStopped_waitsForItNamingIt() throws Exception {
    install("base", "1.0.0", "");
    // mid crashes on its first block; its restart comes 8 s later
    ModuleFixture.install(
        tmp.resolve("modules"),
        "mid",
        "1.0.0",
        LifecycleIT.CAPS,
        "exit_after_blocks = 1\n\n[dependencies]\nbase = \">=1.0.0\"\n",
        ModuleFixture.key());
    String policy =
        LifecycleIT.POLICY
            + "[modules.mid]\nrestart = { mode = \"on_failure\", max_restarts = 5,"
            + " window_seconds = 600, backoff_initial_ms = 8000, backoff_max_ms = 8000 }\n";
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain, policy)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(90));
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(
          () -> m.status("mid").map(s -> s.state() == ModuleState.FAILED).orElse(false),
          Duration.ofSeconds(30),
          "mid crashed");
      // while mid waits for its restart, the operator stops base (mid is not running: not held)
      m.stopModule("base");
      int mark = changes.size();
      Poll.until(
          () ->
              m.status("mid")
                  .map(s -> s.detail() != null && s.detail().contains("not restarted"))
                  .orElse(false),
          Duration.ofSeconds(60),
          "mid's restart came and was held");
      ModuleStatus mid = m.status("mid").orElseThrow();
      assertEquals(ModuleState.FAILED, mid.state(), mid.toString());
      assertTrue(
          mid.detail()
              .endsWith(
                  "not restarted: dependency base (>=1.0.0) is STOPPED, not STARTED; it starts"
                      + " again once base is STARTED"),
          mid.toString());
      assertEquals(0, m.restarts("mid"), "mid was not launched");
      assertTrue(
          changes.subList(mark, changes.size()).stream()
              .noneMatch(c -> c.module().equals("mid") && c.to().isLive()),
          changes.toString());

      // base started again: mid follows
      m.startModule("base");
      awaitStarted(m, "base", "mid");
      assertTrue(
          when("base", ModuleState.STARTED, mark) < when("mid", ModuleState.INITIALIZED, mark),
          changes.toString());
    }
  }

  private void awaitStarted(ModuleManager m, String... ids) throws InterruptedException {
    DependenciesIT.awaitStarted(m, changes, ids);
  }
}
