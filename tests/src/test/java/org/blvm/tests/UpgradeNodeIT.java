package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrades of a module of a real {@code blvm-node} through the real {@code blvm-loader} CLI, each a
 * separate process, modules sandboxed: an upgrade that succeeds; a second upgrade while one runs,
 * refused at once; and the node killed with SIGKILL while the new version starts, after which the
 * previous version runs again and the state directory is as it was.
 */
class UpgradeNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\"";

  /** How long the sleeping version holds an upgrade: its connect deadline (and 10 s more). */
  private static final int CONNECT_TIMEOUT_SECONDS = 20;

  @TempDir Path tmp;

  @Test
  void upgradeThroughTheCli_secondUpgradeRefused_nodeKilledMidUpgradeRunsThePreviousVersion()
      throws Exception {
    SandboxFixture.requireSandbox();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path modules = Files.createDirectories(home.resolve("modules"));
    ModuleFixture.install(modules, "svc", "1.0.0", CAPS, "", ModuleFixture.key());
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyText(
            "[defaults]\ncapabilities = ["
                + CAPS
                + "]\n[modules.svc]\nconnect_timeout_seconds = "
                + CONNECT_TIMEOUT_SECONDS
                + "\n"));
    Files.writeString(
        home.resolve("node.toml"),
        "[simulation]\nblock_interval_seconds = 0.5\nreorg_probability = 0.0\n");
    Path versions = home.resolve("state/versions");

    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-1.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
      awaitRunning(node, "1.0.0");

      // an upgrade through the CLI
      ModuleFixture.install(modules, "svc", "1.1.0", CAPS, "", ModuleFixture.key());
      NodeProcess.Cli up = node.loader("modules", "upgrade", "svc");
      assertEquals(0, up.code(), up.toString());
      assertTrue(up.out().startsWith("svc: UPGRADED 1.0.0 -> 1.1.0 (STARTED)"), up.toString());
      awaitRunning(node, "1.1.0");
      assertTrue(Files.readString(versions).contains("\nsvc 1.1.0 "), Files.readString(versions));

      // 1.2.0 is signed and complete but never connects: it holds its upgrade until its deadline
      installSleeper(modules, "1.2.0");
      int mark = node.lines().size();
      AtomicReference<Object> first = new AtomicReference<>();
      Thread t = upgradeInBackground(node, first);
      node.awaitLineAfter(mark, l -> l.contains("upgrading 1.1.0 to 1.2.0"), "the upgrade runs");
      long started = System.nanoTime();
      NodeProcess.Cli second = node.loader("modules", "upgrade", "svc");
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertEquals(1, second.code(), second.toString());
      assertTrue(second.err().contains("WRONG_STATE"), second.toString());
      assertTrue(second.err().contains("another upgrade is running"), second.toString());
      assertTrue(first.get() == null, "the second was answered while the first ran: " + first);
      t.join(Duration.ofSeconds(CONNECT_TIMEOUT_SECONDS + 120).toMillis());
      NodeProcess.Cli rolled = (NodeProcess.Cli) first.get();
      assertEquals(1, rolled.code(), rolled.toString());
      assertTrue(
          rolled.out().startsWith("svc: ROLLED_BACK 1.1.0 -> 1.2.0 (STARTED)"), rolled.out());
      assertTrue(rolled.out().contains("svc 1.2.0 did not reach STARTED"), rolled.out());
      assertTrue(rolled.out().contains("rolled back to 1.1.0"), rolled.out());
      assertTrue(tookMs < CONNECT_TIMEOUT_SECONDS * 1000L, "refused at once: " + tookMs + " ms");
      awaitRunning(node, "1.1.0");

      // the node is killed while 1.2.0 starts: nothing is recorded for 1.2.0
      mark = node.lines().size();
      Thread killed = upgradeInBackground(node, new AtomicReference<>());
      node.awaitLineAfter(mark, l -> l.contains("upgrading 1.1.0 to 1.2.0"), "the upgrade runs");
      node.signal("KILL", false);
      node.awaitExit(Duration.ofSeconds(30));
      killed.join(Duration.ofSeconds(60).toMillis());
    }
    String ratchet = Files.readString(versions);
    assertTrue(ratchet.contains("\nsvc 1.1.0 "), ratchet);
    assertFalse(ratchet.contains("1.2.0"), ratchet);
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(versions)));

    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-2.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs again");
      // the previous version, from its pinned store copy, though the directory holds 1.2.0
      awaitRunning(node, "1.1.0");
      node.awaitLine(
          l -> l.contains("an upgrade was interrupted; version 1.1.0, which ran before it, runs"),
          "the node says why 1.1.0 runs");
      assertEquals(Files.readString(versions), ratchet, "the ratchet is as it was");
      assertFalse(
          Files.exists(home.resolve("state/upgrades/svc/restore"), LinkOption.NOFOLLOW_LINKS),
          "the assembled copy was removed");
      assertStoreSealed(home.resolve("state/store/trees"));

      // the next upgrade takes the directory's version, and the interruption is settled
      ModuleFixture.install(modules, "svc", "1.2.0", CAPS, "", ModuleFixture.key());
      Files.deleteIfExists(modules.resolve("svc/svc-sleep"));
      ModuleFixture.sign(modules.resolve("svc"));
      NodeProcess.Cli repaired = node.loader("modules", "upgrade", "svc");
      assertEquals(0, repaired.code(), repaired.toString());
      assertTrue(repaired.out().startsWith("svc: UPGRADED 1.1.0 -> 1.2.0"), repaired.toString());
      assertFalse(Files.exists(home.resolve("state/upgrades/svc/interrupted")));
      assertTrue(Files.readString(versions).contains("\nsvc 1.2.0 "));
    }
  }

  /** Replaces svc with version {@code version} of a native module that sleeps, never connecting. */
  private static void installSleeper(Path modules, String version) throws Exception {
    Path dir = modules.resolve("svc");
    Files.delete(dir.resolve("module.jar"));
    Files.copy(
        SandboxFixture.helper(), dir.resolve("svc-sleep"), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(
        dir.resolve("svc-sleep"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"svc\"\nversion = \""
            + version
            + "\"\nruntime = \"native\"\nentry = \"svc-sleep\"\nargs = [\"sleep\"]\n"
            + "capabilities = []\n");
    ModuleFixture.sign(dir);
  }

  /** Runs {@code modules upgrade svc} on a thread of its own; its answer lands in {@code out}. */
  private static Thread upgradeInBackground(NodeProcess node, AtomicReference<Object> out) {
    Thread t =
        new Thread(
            () -> {
              try {
                out.set(node.loader("modules", "upgrade", "svc"));
              } catch (Exception | AssertionError e) {
                out.set(e);
              }
            },
            "blvm-test-upgrade");
    t.start();
    return t;
  }

  /** Waits until svc is STARTED at {@code version}, from {@code modules list --json}. */
  private static void awaitRunning(NodeProcess node, String version) throws Exception {
    AtomicReference<String> last = new AtomicReference<>();
    Poll.until(
        () -> {
          try {
            NodeProcess.Cli r = node.loader("modules", "list", "--json");
            last.set(r.out());
            for (JsonNode n : JSON.readTree(r.out()).get("modules")) {
              if (n.get("name").asText().equals("svc")) {
                return n.get("state").asText().equals("STARTED")
                    && n.get("version").asText().equals(version);
              }
            }
            return false;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(90),
        "svc " + version + " runs");
  }

  /** Every stored tree is read-only and no half-written one is left. */
  private static void assertStoreSealed(Path trees) throws Exception {
    try (Stream<Path> s = Files.list(trees)) {
      List<Path> all = s.toList();
      assertFalse(all.isEmpty());
      for (Path p : all) {
        String name = p.getFileName().toString();
        assertTrue(name.matches("[0-9a-f]{64}"), "a leftover in the store: " + name);
        assertEquals(
            "r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), name);
      }
    }
  }
}
