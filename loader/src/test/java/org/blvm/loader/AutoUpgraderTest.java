package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.policy.Policy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AutoUpgrader}'s decisions, one check at a time ({@link AutoUpgrader#checkNow} is the
 * trigger: nothing waits for the interval). The upgrade path is a fake of {@link
 * AutoUpgrader.Upgrade} that behaves as {@code modules upgrade} does on outcome: the directory's
 * {@code version} file is the version found; one holding {@code broken} rolls back.
 */
class AutoUpgraderTest {
  @TempDir Path tmp;

  private final Map<String, Path> started = new LinkedHashMap<>();
  private final Map<String, String> running = new HashMap<>();
  private final List<String> calls = new ArrayList<>();
  private final AtomicReference<Policy> policy = new AtomicReference<>();
  private boolean busy;

  private static Policy policy(String toml) throws Exception {
    return Policy.parse("test-policy.toml", toml.getBytes(StandardCharsets.UTF_8));
  }

  private ModuleUpgrade fakeUpgrade(String id) throws InterruptedException {
    calls.add(id);
    if (busy) {
      throw new IllegalStateException("another upgrade is running; try again when it ended");
    }
    try {
      String found = Files.readString(started.get(id).resolve("version")).strip();
      String from = running.get(id);
      ModuleStatus s = new ModuleStatus(id, from, ModuleState.STARTED, OptionalLong.of(1), null);
      if (found.equals(from)) {
        return new ModuleUpgrade(id, from, found, ModuleUpgrade.Outcome.UNCHANGED, s, "same");
      }
      if (Files.exists(started.get(id).resolve("broken"))) {
        return new ModuleUpgrade(
            id, from, found, ModuleUpgrade.Outcome.ROLLED_BACK, s, "did not reach STARTED");
      }
      running.put(id, found);
      return new ModuleUpgrade(id, from, found, ModuleUpgrade.Outcome.UPGRADED, s, null);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Path module(String id, String version) throws Exception {
    Path dir = tmp.resolve("modules").resolve(id);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("version"), version + "\n");
    Files.writeString(dir.resolve("module.jar"), "jar of " + id);
    started.put(id, dir);
    running.put(id, version);
    return dir;
  }

  private AutoUpgrader upgrader() {
    return new AutoUpgrader(
        () -> Map.copyOf(started),
        policy::get,
        this::fakeUpgrade,
        () -> {
          throw new AssertionError("no thread in this test");
        });
  }

  private static List<String> outcomes(List<ModuleUpgrade> ups) {
    return ups.stream().map(u -> u.module() + " " + u.outcome() + " " + u.to()).toList();
  }

  @Test
  void newerVersion_upgraded_thenNothingUntilTheDirectoryChanges() throws Exception {
    policy.set(policy("[modules.svc]\nauto_upgrade = true\n"));
    Path svc = module("svc", "1.0.0");
    AutoUpgrader a = upgrader();

    // the directory holds the running version: tried once (UNCHANGED), then not again
    assertEquals(List.of("svc UNCHANGED 1.0.0"), outcomes(a.checkNow()));
    assertEquals(List.of(), a.checkNow());
    assertEquals(List.of("svc"), calls, "an unchanged directory is not admitted again");

    Files.writeString(svc.resolve("version"), "1.1.0\n");
    assertEquals(List.of("svc UPGRADED 1.1.0"), outcomes(a.checkNow()));
    assertEquals("1.1.0", running.get("svc"));
    assertEquals(List.of(), a.checkNow());
    assertEquals(2, calls.size());
  }

  @Test
  void failingVersion_rolledBack_notRetriedUntilTheDirectoryChanges() throws Exception {
    policy.set(policy("[modules.svc]\nauto_upgrade = true\n"));
    Path svc = module("svc", "1.0.0");
    AutoUpgrader a = upgrader();
    a.checkNow();

    Files.writeString(svc.resolve("version"), "1.2.0\n");
    Files.writeString(svc.resolve("broken"), "");
    assertEquals(List.of("svc ROLLED_BACK 1.2.0"), outcomes(a.checkNow()));
    assertEquals("1.0.0", running.get("svc"));
    for (int i = 0; i < 3; i++) {
      assertEquals(List.of(), a.checkNow(), "the version that failed is not tried again");
    }
    assertEquals(2, calls.size());

    // a repaired release of the same version: other content, so it is tried
    Files.delete(svc.resolve("broken"));
    Files.writeString(svc.resolve("module.jar"), "repaired jar");
    assertEquals(List.of("svc UPGRADED 1.2.0"), outcomes(a.checkNow()));
    assertEquals("1.2.0", running.get("svc"));
  }

  @Test
  void operatorsRollback_theVersionRolledBackFromNotUpgradedToAgain_untilTheDirectoryChanges()
      throws Exception {
    policy.set(policy("[modules.svc]\nauto_upgrade = true\n"));
    Path svc = module("svc", "1.0.0");
    AutoUpgrader a = upgrader();
    a.checkNow(); // 1.0.0 in the directory: tried, UNCHANGED

    // an operator's upgrade to 1.1.0 (not the checker's), then an operator's rollback to 1.0.0
    Files.writeString(svc.resolve("version"), "1.1.0\n");
    running.put("svc", "1.0.0");
    a.rolledBack("svc", svc);
    for (int i = 0; i < 3; i++) {
      assertEquals(List.of(), a.checkNow(), "the rollback is not undone by the next check");
    }
    assertEquals(List.of("svc"), calls);

    Files.writeString(svc.resolve("version"), "1.1.1\n");
    assertEquals(List.of("svc UPGRADED 1.1.1"), outcomes(a.checkNow()));
  }

  @Test
  void onlyModulesWhosePolicyInForceSaysSo_reloadAppliesAtTheNextCheck() throws Exception {
    policy.set(policy("[defaults]\nauto_upgrade = true\n[modules.pinned]\nauto_upgrade = false\n"));
    Path svc = module("svc", "1.0.0");
    Path pinned = module("pinned", "1.0.0");
    Path other = module("other", "1.0.0");
    AutoUpgrader a = upgrader();
    a.checkNow();
    Files.writeString(svc.resolve("version"), "1.1.0\n");
    Files.writeString(pinned.resolve("version"), "1.1.0\n");
    Files.writeString(other.resolve("version"), "1.1.0\n");
    List<String> first = outcomes(a.checkNow());
    assertTrue(first.contains("svc UPGRADED 1.1.0"), first.toString());
    assertTrue(first.contains("other UPGRADED 1.1.0"), "[defaults] applies: " + first);
    assertEquals(2, first.size(), first.toString());
    assertEquals("1.0.0", running.get("pinned"));

    // a reloaded policy turns it on for pinned: the next check takes its new version
    policy.set(policy("[modules.pinned]\nauto_upgrade = true\n"));
    assertEquals(List.of("pinned UPGRADED 1.1.0"), outcomes(a.checkNow()));
  }

  @Test
  void moduleNotStarted_orItsUpgradeRefusedForAnotherUpgrade_skippedAndTriedLater()
      throws Exception {
    policy.set(policy("[defaults]\nauto_upgrade = true\n"));
    Path svc = module("svc", "1.0.0");
    Map<String, Path> all = new LinkedHashMap<>(started);
    AutoUpgrader a = upgrader();
    a.checkNow();
    Files.writeString(svc.resolve("version"), "1.1.0\n");

    started.clear(); // stopped by an operator: not STARTED
    assertEquals(List.of(), a.checkNow());
    started.putAll(all);

    busy = true; // an operator's upgrade runs
    assertEquals(List.of(), a.checkNow());
    busy = false;
    assertEquals(List.of("svc UPGRADED 1.1.0"), outcomes(a.checkNow()), "tried at the next check");
  }

  /** Records what is scheduled instead of running it: the test runs it when time has passed. */
  private static final class RecordingTimer extends ScheduledThreadPoolExecutor {
    final List<Long> delaysSeconds = new ArrayList<>();
    Runnable next;

    RecordingTimer() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable r, long delay, TimeUnit unit) {
      delaysSeconds.add(unit.toSeconds(delay));
      next = r;
      return null;
    }
  }

  @Test
  void timer_waitsTheIntervalOfThePolicyInForce_readAtEachWait_stopsWhenClosed() throws Exception {
    policy.set(policy("auto_upgrade_interval_seconds = 10\n[modules.svc]\nauto_upgrade = true\n"));
    Path svc = module("svc", "1.0.0");
    RecordingTimer t = new RecordingTimer();
    AutoUpgrader a =
        new AutoUpgrader(() -> Map.copyOf(started), policy::get, this::fakeUpgrade, () -> t);
    a.start();
    assertEquals(List.of(10L), t.delaysSeconds);
    assertEquals(List.of(), calls, "the first check is one interval after start");

    Files.writeString(svc.resolve("version"), "1.1.0\n");
    policy.set(policy("auto_upgrade_interval_seconds = 60\n[modules.svc]\nauto_upgrade = true\n"));
    t.next.run(); // the interval passed
    assertEquals("1.1.0", running.get("svc"), "the scheduled check upgraded it");
    assertEquals(
        List.of(10L, 60L), t.delaysSeconds, "the reloaded interval applies to the next wait");

    a.close();
    assertTrue(t.isShutdown());
    Files.writeString(svc.resolve("version"), "1.2.0\n");
    t.next.run(); // a check already due when it closed
    assertEquals("1.1.0", running.get("svc"), "nothing is upgraded once closed");
    assertEquals(2, t.delaysSeconds.size(), "nothing is scheduled once closed");
  }

  @Test
  void directoryDigest_changesWithContentNamesAndLinks() throws Exception {
    Path d = module("svc", "1.0.0");
    String first = DirectoryDigest.of(d);
    assertEquals(first, DirectoryDigest.of(d), "stable");
    Files.writeString(d.resolve("module.jar"), "jar of svD");
    String content = DirectoryDigest.of(d);
    assertNotEquals(first, content);
    Files.move(d.resolve("module.jar"), d.resolve("other.jar"));
    assertNotEquals(content, DirectoryDigest.of(d));
    String moved = DirectoryDigest.of(d);
    Files.createSymbolicLink(d.resolve("link"), Path.of("other.jar"));
    assertNotEquals(moved, DirectoryDigest.of(d));
  }
}
