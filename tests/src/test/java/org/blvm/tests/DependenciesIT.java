package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleDependencies;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStateChange;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Module dependencies with real module processes: the start order, the modules that cannot start
 * and why, and the stop of a dependency stopping and restarting its dependents.
 */
class DependenciesIT {
  @TempDir Path tmp;

  /** Every state change of every module, in the order the manager reported them. */
  private final List<ModuleStateChange> changes = new CopyOnWriteArrayList<>();

  private ModuleManager manager() {
    return manager(new SimulatedChain());
  }

  private ModuleManager manager(SimulatedChain chain) {
    return manager(tmp, chain, LifecycleIT.POLICY, changes);
  }

  /**
   * A manager of plain module processes under {@code tmp} and {@code policy}, reporting every state
   * change to {@code changes}.
   */
  static ModuleManager manager(
      Path tmp, SimulatedChain chain, String policy, List<ModuleStateChange> changes) {
    ModuleManager m =
        ModuleManager.builder()
            .launcher(ModuleLauncher.plainProcesses())
            .admission(ModuleFixture.admission(tmp.resolve("state"), policy))
            .modulesDir(tmp.resolve("modules"))
            .runtimeDir(tmp.resolve("run"))
            .backend(chain)
            .stopGrace(Duration.ofSeconds(2))
            .build();
    m.addStateListener(changes::add);
    return m;
  }

  private void install(String name, String version, String dependencies) throws Exception {
    install(tmp.resolve("modules"), name, version, dependencies);
  }

  /** Installs the test module as {@code name} declaring {@code dependencies} (TOML lines). */
  static void install(Path modules, String name, String version, String dependencies)
      throws Exception {
    ModuleFixture.install(
        modules,
        name,
        version,
        LifecycleIT.CAPS,
        "\n[dependencies]\n" + dependencies,
        ModuleFixture.key());
  }

  private int when(String module, ModuleState to, int from) {
    return when(changes, module, to, from);
  }

  /** The position of the first change of {@code module} to {@code to} after {@code from}. */
  static int when(List<ModuleStateChange> changes, String module, ModuleState to, int from) {
    for (int i = from; i < changes.size(); i++) {
      ModuleStateChange c = changes.get(i);
      if (c.module().equals(module) && c.to() == to) {
        return i;
      }
    }
    throw new AssertionError(module + " never reached " + to + " after " + from + ": " + changes);
  }

  private static String detail(ModuleManager m, String id) {
    ModuleStatus s = m.status(id).orElseThrow();
    assertEquals(ModuleState.FAILED, s.state(), s.toString());
    return s.detail();
  }

  @Test
  void start_inDependencyOrder_missingOutOfRangeAndCycleFailedNamingWhy_othersStart()
      throws Exception {
    // alphabetical order would start "app" and "top" before "zbase"
    install("zbase", "1.2.0", "");
    install("app", "1.0.0", "zbase = \">=1.0.0, <2.0.0\"\n");
    install("top", "1.0.0", "app = \"=1.0.0\"\nzbase = {version = \">=1.0.0\", optional = true}\n");
    install("lonely", "1.0.0", "lightning = \">=1.0.0, <2.0.0\"\nzbase = \">=1.0.0\"\n");
    install("old", "1.0.0", "zbase = \">=2.0.0\"\n");
    install("cy-a", "1.0.0", "cy-b = \">=1.0.0\"\n");
    install("cy-b", "1.0.0", "cy-a = \">=1.0.0\"\n");
    install("cy-user", "1.0.0", "cy-a = \">=1.0.0\"\n");
    install("free", "1.0.0", "nothing = {version = \">=1.0.0\", optional = true}\n");
    try (ModuleManager m = manager()) {
      m.start();
      for (String id : List.of("zbase", "app", "top", "free")) {
        assertTrue(m.awaitState(id, ModuleState.STARTED, Duration.ofSeconds(60)), id);
      }
      // each dependent said hello only after its dependency was STARTED
      assertTrue(
          when("zbase", ModuleState.STARTED, 0) < when("app", ModuleState.INITIALIZED, 0),
          changes.toString());
      assertTrue(
          when("app", ModuleState.STARTED, 0) < when("top", ModuleState.INITIALIZED, 0),
          changes.toString());

      assertEquals("dependency lightning (>=1.0.0, <2.0.0) is not installed", detail(m, "lonely"));
      assertEquals(
          "dependency zbase (>=2.0.0) is at version 1.2.0, outside the range", detail(m, "old"));
      assertEquals("dependency cycle: cy-a -> cy-b -> cy-a", detail(m, "cy-a"));
      assertEquals("dependency cycle: cy-a -> cy-b -> cy-a", detail(m, "cy-b"));
      assertEquals(
          "dependency cy-a (>=1.0.0) cannot start: dependency cycle: cy-a -> cy-b -> cy-a",
          detail(m, "cy-user"));
      assertTrue(
          changes.stream().noneMatch(c -> c.module().startsWith("cy-") && c.to().isLive()),
          "no module of the cycle was launched: " + changes);
    }
  }

  @Test
  void stopOrCrashOfADependency_stopsItsDependentsFirst_andStartsThemAgainOnceItIsBack()
      throws Exception {
    SimulatedChain chain = new SimulatedChain();
    ModuleFixture.install(
        tmp.resolve("modules"),
        "base",
        "1.0.0",
        LifecycleIT.CAPS,
        "exit_after_blocks = 1",
        ModuleFixture.key());
    install("mid", "1.0.0", "base = \">=1.0.0\"\n");
    install("leaf", "1.0.0", "mid = \">=1.0.0\"\nbase = \">=1.0.0\"\n");
    install("other", "1.0.0", "base = {version = \">=1.0.0\", optional = true}\n");
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(90));
      ModuleDependencies mid = m.dependencies("mid");
      assertEquals(
          List.of(
              new ModuleDependencies.Edge("base", ">=1.0.0", false, ModuleState.STARTED, "1.0.0")),
          mid.dependsOn());
      assertEquals(
          List.of(
              new ModuleDependencies.Edge("leaf", ">=1.0.0", false, ModuleState.STARTED, "1.0.0")),
          mid.requiredBy());
      assertEquals(
          List.of("leaf", "mid", "other"),
          m.dependencies("base").requiredBy().stream()
              .map(ModuleDependencies.Edge::module)
              .toList());

      // the operator stops base: leaf, then mid, then base; other (optional) keeps running
      int mark = changes.size();
      m.stopModule("base");
      assertEquals(ModuleState.STOPPED, m.status("base").orElseThrow().state());
      for (String id : List.of("mid", "leaf")) {
        ModuleStatus s = m.status(id).orElseThrow();
        assertEquals(ModuleState.STOPPED, s.state(), s.toString());
        assertTrue(s.detail().contains("its dependency base was stopped"), s.toString());
      }
      assertTrue(
          when("leaf", ModuleState.STOPPED, mark) < when("mid", ModuleState.STOPPING, mark)
              && when("mid", ModuleState.STOPPED, mark) < when("base", ModuleState.STOPPING, mark),
          changes.toString());
      assertEquals(ModuleState.STARTED, m.status("other").orElseThrow().state());

      // started again: base first, then mid, then leaf, by themselves
      mark = changes.size();
      m.startModule("base");
      awaitStarted(m, "mid", "leaf");
      assertTrue(
          when("base", ModuleState.STARTED, mark) < when("mid", ModuleState.INITIALIZED, mark)
              && when("mid", ModuleState.STARTED, mark)
                  < when("leaf", ModuleState.INITIALIZED, mark),
          changes.toString());

      // base crashes on a block: its dependents are stopped, and started after its restart
      mark = changes.size();
      long midPid = m.status("mid").orElseThrow().pid().orElseThrow();
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(() -> m.restarts("base") >= 1, Duration.ofSeconds(60), "base restarted");
      awaitStarted(m, "base", "mid", "leaf");
      int failed = when("base", ModuleState.FAILED, mark);
      ModuleStateChange stopped = changes.get(when("mid", ModuleState.STOPPED, failed));
      assertTrue(stopped.detail().contains("its dependency base failed"), stopped.toString());
      assertTrue(
          when("base", ModuleState.STARTED, failed) < when("mid", ModuleState.INITIALIZED, failed),
          changes.toString());
      assertTrue(m.status("mid").orElseThrow().pid().orElseThrow() != midPid, "mid ran again");
    }
  }

  private void awaitStarted(ModuleManager m, String... ids) throws InterruptedException {
    awaitStarted(m, changes, ids);
  }

  /**
   * Waits until each of {@code ids} is STARTED and its last change in {@code changes} says so: the
   * status shows a state as soon as it is set, the listener is told of it a moment later on the
   * thread that set it.
   */
  static void awaitStarted(ModuleManager m, List<ModuleStateChange> changes, String... ids)
      throws InterruptedException {
    for (String id : ids) {
      Poll.until(
          () ->
              m.status(id).map(s -> s.state() == ModuleState.STARTED).orElse(false)
                  && lastChange(changes, id) == ModuleState.STARTED,
          Duration.ofSeconds(90),
          id + " STARTED again");
    }
  }

  /** The state {@code module} last changed to in {@code changes}, or null. */
  static ModuleState lastChange(List<ModuleStateChange> changes, String module) {
    ModuleState last = null;
    for (ModuleStateChange c : changes) {
      if (c.module().equals(module)) {
        last = c.to();
      }
    }
    return last;
  }
}
