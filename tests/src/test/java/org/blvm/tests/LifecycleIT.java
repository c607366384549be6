package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.loader.ModuleUpgrade;
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

  /** The heights of the blocks the watcher module reported, in the order it reported them. */
  private final List<Long> watched = new CopyOnWriteArrayList<>();

  private ModuleManager manager(SimulatedChain chain) {
    return ModuleManager.builder()
        .launcher(ModuleLauncher.plainProcesses())
        .admission(ModuleFixture.admission(tmp.resolve("state"), POLICY))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(chain)
        .stopGrace(Duration.ofSeconds(2))
        .onModuleEvent(
            (source, type, payload) -> {
              if (source.equals("watcher") && type.equals("test.block_seen")) {
                watched.add(payload.get("height").asLong());
              }
            })
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

  @Test
  void upgrade_whileAnotherModuleReceivesEveryEvent_thenABrokenVersionRollsBackByItself()
      throws Exception {
    Path modules = tmp.resolve("modules");
    ModuleFixture.install(modules, "watcher", "1.0.0", CAPS, "", ModuleFixture.key());
    ModuleFixture.install(modules, "svc", "1.0.0", CAPS, "", ModuleFixture.key());
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      AtomicBoolean publishing = new AtomicBoolean(true);
      AtomicInteger published = new AtomicInteger();
      List<Long> heights = new CopyOnWriteArrayList<>();
      Thread publisher =
          new Thread(
              () -> {
                while (publishing.get()) {
                  var b = chain.mineBlock(0);
                  heights.add(b.height());
                  m.publish(EventType.NewBlock, b);
                  published.incrementAndGet();
                  try {
                    Thread.sleep(20); // a block every 20 ms: the pace of the publisher, not a wait
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "blvm-test-publisher");
      publisher.start();
      try {
        ModuleFixture.install(modules, "svc", "1.1.0", CAPS, "", ModuleFixture.key());
        ModuleUpgrade up = m.upgradeModule("svc");
        assertEquals(ModuleUpgrade.Outcome.UPGRADED, up.outcome(), up.toString());
        assertEquals("1.0.0", up.from());
        assertEquals("1.1.0", up.to());
        assertEquals(ModuleState.STARTED, status(m, "svc").state());
        assertEquals("1.1.0", status(m, "svc").version());
      } finally {
        publishing.set(false);
        publisher.join(10_000);
      }
      int n = published.get();
      Poll.until(() -> watched.size() >= n, Duration.ofSeconds(60), "watcher saw " + n + " blocks");
      assertEquals(heights, watched, "the watcher got every block, in order, during the upgrade");
      assertTrue(n > 10, "blocks were published during the upgrade: " + n);

      // 1.2.0 is signed and complete, but its jar is not one: the JVM exits at once
      ModuleFixture.install(modules, "svc", "1.2.0", CAPS, "", ModuleFixture.key());
      Files.writeString(modules.resolve("svc/module.jar"), "not a jar\n");
      ModuleFixture.sign(modules.resolve("svc"));
      ModuleUpgrade broken = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.ROLLED_BACK, broken.outcome(), broken.toString());
      assertTrue(broken.reason().contains("svc 1.2.0 did not reach STARTED"), broken.reason());
      assertTrue(broken.reason().contains("rolled back to 1.1.0"), broken.reason());
      assertEquals(ModuleState.STARTED, broken.status().state(), broken.toString());
      assertEquals("1.1.0", status(m, "svc").version());
      assertEquals(0, m.restarts("svc"), "the broken version was not restarted automatically");
      // the ratchet did not record 1.2.0: a repaired 1.2.0 (other files) is not a reused version
      String ratchet = Files.readString(tmp.resolve("state/versions"));
      assertTrue(ratchet.contains("\nsvc 1.1.0 "), ratchet);

      // a half-copied 1.3.0 (its jar cut short after signing) is refused; 1.1.0 runs on untouched
      long pid = status(m, "svc").pid().orElseThrow();
      ModuleFixture.install(modules, "svc", "1.3.0", CAPS, "", ModuleFixture.key());
      byte[] jar = Files.readAllBytes(modules.resolve("svc/module.jar"));
      Files.write(modules.resolve("svc/module.jar"), java.util.Arrays.copyOf(jar, jar.length / 2));
      ModuleUpgrade partial = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.REFUSED, partial.outcome(), partial.toString());
      assertTrue(partial.reason().contains("module.jar"), partial.reason());
      assertEquals(pid, status(m, "svc").pid().orElseThrow(), "the running process was kept");

      ModuleFixture.install(modules, "svc", "1.2.0", CAPS, "note = 1", ModuleFixture.key());
      ModuleUpgrade repaired = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.UPGRADED, repaired.outcome(), repaired.toString());
      assertTrue(
          Files.readString(tmp.resolve("state/versions")).contains("\nsvc 1.2.0 "),
          "recorded once it ran");

      // an older version is refused by the ratchet, naming it
      ModuleFixture.install(modules, "svc", "1.1.5", CAPS, "", ModuleFixture.key());
      ModuleUpgrade older = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.REFUSED, older.outcome(), older.toString());
      assertTrue(older.reason().contains("1.1.5"), older.reason());
      assertEquals("1.2.0", status(m, "svc").version());
    }
  }

  /** Installs {@code version} of svc declaring {@code data_version = dataVersion}, signed. */
  private static void installWithDataVersion(
      Path modules, String version, int dataVersion, boolean broken) throws Exception {
    ModuleFixture.install(modules, "svc", version, CAPS, "", ModuleFixture.key());
    Path manifest = modules.resolve("svc/module.toml");
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replaceFirst("runtime = ", "data_version = " + dataVersion + "\nruntime = "));
    if (broken) {
      Files.writeString(modules.resolve("svc/module.jar"), "not a jar\n");
    }
    ModuleFixture.sign(modules.resolve("svc"));
  }

  @Test
  void dataVersion_lowerThanRan_refusedOnUpgradeAndAtStart_rollbackKeepsTheRecord()
      throws Exception {
    Path modules = tmp.resolve("modules");
    Path record = tmp.resolve("state/data-versions");
    installWithDataVersion(modules, "1.0.0", 2, false);
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      Poll.until(
          () -> {
            try {
              return Files.exists(record) && Files.readString(record).contains("\nsvc 2\n");
            } catch (java.io.IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(10),
          "data version 2 recorded once it ran");

      installWithDataVersion(modules, "1.1.0", 1, false);
      ModuleUpgrade lower = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.REFUSED, lower.outcome(), lower.toString());
      assertTrue(
          lower.reason().contains("module svc 1.1.0: data_version 1 is lower than 2"),
          lower.reason());
      assertEquals("1.0.0", status(m, "svc").version());

      // 3 never ran (its jar is not one): rolled back to 1.0.0, whose 2 is still allowed
      installWithDataVersion(modules, "1.2.0", 3, true);
      ModuleUpgrade broken = m.upgradeModule("svc");
      assertEquals(ModuleUpgrade.Outcome.ROLLED_BACK, broken.outcome(), broken.toString());
      assertEquals(ModuleState.STARTED, status(m, "svc").state());
      assertTrue(Files.readString(record).contains("\nsvc 2\n"), Files.readString(record));
    }
    // at the next start the directory holds a higher version with a lower data version
    installWithDataVersion(modules, "1.3.0", 1, false);
    try (ModuleManager m = manager(chain)) {
      m.start();
      ModuleStatus s = status(m, "svc");
      assertEquals(ModuleState.FAILED, s.state(), s.toString());
      assertTrue(s.detail().contains("data_version 1 is lower than 2"), s.detail());
    }
  }

  @Test
  void interruptedUpgrade_previousVersionRunsAtStart_orTheDirectoryWhenItCannotBeRestored()
      throws Exception {
    Path modules = tmp.resolve("modules");
    Path upgrades = tmp.resolve("state/upgrades/svc");
    ModuleFixture.install(modules, "svc", "1.0.0", CAPS, "", ModuleFixture.key());
    String manifest =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(modules.resolve("svc/module.toml"))));
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
    }
    assertTrue(Files.isDirectory(upgrades.resolve("manifests/" + manifest)), "1.0.0 was kept");
    // what an upgrade to 1.1.0 leaves when the node is killed while 1.1.0 starts
    ModuleFixture.install(modules, "svc", "1.1.0", CAPS, "", ModuleFixture.key());
    Path interrupted = upgrades.resolve("interrupted");
    Files.writeString(interrupted, manifest + "\n");
    Files.setPosixFilePermissions(
        interrupted, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      assertEquals("1.0.0", status(m, "svc").version(), "the version that ran before runs");
    }
    assertTrue(Files.exists(interrupted), "pinned until the next upgrade ends");
    // its kept manifest lost: the directory is admitted, and the interruption settled
    try (var kept = Files.walk(upgrades.resolve("manifests"))) {
      for (Path p : kept.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!p.equals(upgrades.resolve("manifests"))) {
          Files.delete(p);
        }
      }
    }
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      assertEquals("1.1.0", status(m, "svc").version());
    }
    assertTrue(!Files.exists(interrupted), "settled");
  }
}
