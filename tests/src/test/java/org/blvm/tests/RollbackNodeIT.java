package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code modules rollback} of a module of a real {@code blvm-node} through the real {@code
 * blvm-loader} CLI, each a separate process, modules sandboxed: back to the pinned store copy of
 * the version that ran before the last upgrade, once; refused without a previous version and by
 * data_version; and the node killed with SIGKILL mid-rollback.
 */
class RollbackNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\"";

  @TempDir Path tmp;

  private Path home;
  private Path modules;

  private void nodeHome() throws Exception {
    SandboxFixture.requireSandbox();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    home = Files.createDirectories(tmp.resolve("home"));
    modules = Files.createDirectories(home.resolve("modules"));
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyText("[defaults]\ncapabilities = [" + CAPS + "]\n"));
    Files.writeString(
        home.resolve("node.toml"),
        "[simulation]\nblock_interval_seconds = 0.5\nreorg_probability = 0.0\n");
  }

  @Test
  void rollbackThroughTheCli_runsThePinnedCopyOnce_andAfterARestart_killedMidRollbackConsistent()
      throws Exception {
    nodeHome();
    install("1.0.0", 0, false);
    Path versions = home.resolve("state/versions");
    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-1.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
      awaitRunning(node, "1.0.0");

      NodeProcess.Cli none = node.loader("modules", "rollback", "svc");
      assertEquals(1, none.code(), none.toString());
      assertTrue(none.out().startsWith("svc: REFUSED 1.0.0 -> ?"), none.toString());
      assertTrue(
          none.out().contains("module svc 1.0.0: rollback refused (nothing changed): no previous"),
          none.toString());

      install("1.1.0", 0, false);
      NodeProcess.Cli up = node.loader("modules", "upgrade", "svc");
      assertEquals(0, up.code(), up.toString());
      awaitRunning(node, "1.1.0");

      // back to 1.0.0: its store copy, though the directory holds 1.1.0
      NodeProcess.Cli back = node.loader("modules", "rollback", "svc");
      assertEquals(0, back.code(), back.toString());
      assertTrue(back.out().startsWith("svc: ROLLED_BACK 1.1.0 -> 1.0.0 (STARTED)"), back.out());
      awaitRunning(node, "1.0.0");
      assertTrue(Files.readString(modules.resolve("svc/module.toml")).contains("\"1.1.0\""));
      assertTrue(Files.readString(versions).contains("\nsvc 1.1.0 "), "the highest stays");
      assertTrue(Files.readString(home.resolve("state/rollbacks")).contains("\nsvc 1.0.0 "));

      NodeProcess.Cli second = node.loader("modules", "rollback", "svc");
      assertEquals(1, second.code(), second.toString());
      assertTrue(
          second.out().contains("rolled back to 1.0.0 already; a second rollback"),
          second.toString());
      awaitRunning(node, "1.0.0");

      // 1.2.0 ignores the stop message, so that a rollback from it stops it for the grace period
      install("1.2.0", 0, true);
      NodeProcess.Cli up2 = node.loader("modules", "upgrade", "svc");
      assertEquals(0, up2.code(), up2.toString());
      assertTrue(up2.out().startsWith("svc: UPGRADED 1.0.0 -> 1.2.0"), up2.toString());
      int mark = node.lines().size();
      Thread t = rollbackInBackground(node, new AtomicReference<>());
      node.awaitLineAfter(mark, l -> l.contains("rolling back 1.2.0 to 1.0.0"), "it rolls back");
      node.signal("KILL", false);
      node.awaitExit(Duration.ofSeconds(30));
      t.join(Duration.ofSeconds(60).toMillis());
    }
    String ratchet = Files.readString(versions);
    assertTrue(ratchet.contains("\nsvc 1.2.0 "), ratchet);

    // the rollback had not reached its commit point: 1.2.0, which ran before it, runs again
    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-2.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs again");
      awaitRunning(node, "1.2.0");
      node.awaitLine(
          l -> l.contains("was interrupted; version 1.2.0, which ran before it, runs again"),
          "the node says why 1.2.0 runs");
      assertFalse(Files.readString(home.resolve("state/rollbacks")).contains("\nsvc "));

      // the previous version is still recorded: the rollback can be made again
      NodeProcess.Cli back = node.loader("modules", "rollback", "svc");
      assertEquals(0, back.code(), back.toString());
      assertTrue(back.out().startsWith("svc: ROLLED_BACK 1.2.0 -> 1.0.0 (STARTED)"), back.out());
    }

    // a node restart runs the version rolled back to, not the directory's 1.2.0
    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-3.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs a third time");
      awaitRunning(node, "1.0.0");
      node.awaitLine(
          l -> l.contains("it was rolled back (modules rollback); version 1.0.0, which ran"),
          "the node says why 1.0.0 runs");
      assertEquals(ratchet, Files.readString(versions), "the ratchet did not move");
    }
  }

  @Test
  void rollback_previousVersionsDataVersionLower_refusedNamingBothNumbers() throws Exception {
    nodeHome();
    install("1.0.0", 1, false);
    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
      awaitRunning(node, "1.0.0");
      install("1.1.0", 2, false);
      NodeProcess.Cli up = node.loader("modules", "upgrade", "svc");
      assertEquals(0, up.code(), up.toString());
      awaitRunning(node, "1.1.0");
      long pid = pidOfSvc(node);

      NodeProcess.Cli back = node.loader("modules", "rollback", "svc");
      assertEquals(1, back.code(), back.toString());
      assertTrue(back.out().startsWith("svc: REFUSED 1.1.0 -> ?"), back.toString());
      assertTrue(
          back.out().contains("module svc 1.0.0: data_version 1 is lower than 2, the highest"),
          back.toString());
      assertEquals(pid, pidOfSvc(node), "1.1.0 kept running, untouched");
    }
  }

  /** Installs {@code version} of svc declaring {@code data_version}, ignoring stops if asked. */
  private void install(String version, int dataVersion, boolean ignoreStop) throws Exception {
    ModuleFixture.install(
        modules, "svc", version, CAPS, ignoreStop ? "ignore_stop = true" : "", ModuleFixture.key());
    if (dataVersion > 0) {
      Path manifest = modules.resolve("svc/module.toml");
      Files.writeString(
          manifest,
          Files.readString(manifest)
              .replaceFirst("runtime = ", "data_version = " + dataVersion + "\nruntime = "));
      ModuleFixture.sign(modules.resolve("svc"));
    }
  }

  /** Runs {@code modules rollback svc} on a thread of its own; its answer lands in {@code out}. */
  private static Thread rollbackInBackground(NodeProcess node, AtomicReference<Object> out) {
    Thread t =
        new Thread(
            () -> {
              try {
                out.set(node.loader("modules", "rollback", "svc"));
              } catch (Exception | AssertionError e) {
                out.set(e);
              }
            },
            "blvm-test-rollback");
    t.start();
    return t;
  }

  private static JsonNode svc(NodeProcess node) throws Exception {
    NodeProcess.Cli r = node.loader("modules", "list", "--json");
    for (JsonNode n : JSON.readTree(r.out()).get("modules")) {
      if (n.get("name").asText().equals("svc")) {
        return n;
      }
    }
    throw new AssertionError("svc is not listed: " + r.out());
  }

  private static long pidOfSvc(NodeProcess node) throws Exception {
    return svc(node).path("pid").asLong(-1);
  }

  /** Waits until svc is STARTED at {@code version}, from {@code modules list --json}. */
  private static void awaitRunning(NodeProcess node, String version) throws Exception {
    Poll.until(
        () -> {
          try {
            JsonNode n = svc(node);
            return n.get("state").asText().equals("STARTED")
                && n.get("version").asText().equals(version);
          } catch (Exception | AssertionError e) {
            return false;
          }
        },
        Duration.ofSeconds(90),
        "svc " + version + " runs");
  }
}
