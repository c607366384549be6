package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real SIGHUP, sent with {@code kill -HUP} to a loader running in its own JVM, reloads the node
 * config; a broken file on SIGHUP is refused and the JVM survives (the JVM's default SIGHUP action
 * would have ended it); started with SIGHUP ignored (nohup), the loader says that SIGHUP will not
 * reload. A child JVM rather than the test JVM, so that a mistake cannot kill the test runner.
 */
class ConfigSighupIT {
  @TempDir Path tmp;

  @Test
  void sighup_reloadsNodeConfig_andBrokenFileIsRefusedWithoutKillingTheNode() throws Exception {
    Path cfg = tmp.resolve("node.toml");
    Files.writeString(cfg, "[network]\nport = 8333\n");
    Process p = startChild(cfg, false);
    BlockingQueue<String> lines = ProcessLines.of(p, null);
    try {
      awaitLine(lines, "ready");
      Files.writeString(cfg, "[network]\nport = 8334\n[rpc]\nport = 8332\n");
      hup(p.pid());
      assertEquals("reload SIGHUP applied [network, rpc]", awaitLine(lines, "reload"));

      Files.writeString(cfg, "[network]\nport = 1\nport = 2\n");
      hup(p.pid());
      assertEquals("reload SIGHUP refused", awaitLine(lines, "reload"));
      assertTrue(p.isAlive(), "SIGHUP must not end the node");
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void startedWithSighupIgnored_saysSoInsteadOfPromisingReloads() throws Exception {
    Path cfg = tmp.resolve("node.toml");
    Files.writeString(cfg, "[network]\nport = 8333\n");
    Process p = startChild(cfg, true);
    BlockingQueue<String> lines = ProcessLines.of(p, null);
    try {
      String warning = awaitLineContaining(lines, "SIGHUP is ignored by this process");
      assertTrue(warning.contains("reload with the admin call"), warning);
      awaitLine(lines, "ready");
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The loader in a child JVM on {@code cfg}; with {@code sighupIgnored} it is started under {@code
   * nohup}, so the JVM inherits SIGHUP as ignored, as an operator's nohup would make it.
   */
  private Process startChild(Path cfg, boolean sighupIgnored) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (sighupIgnored) {
      cmd.add("nohup");
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            ConfigSighupMain.class.getName(),
            tmp.resolve("loader").toString(),
            cfg.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  private static void hup(long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, kill.exitValue());
  }

  /** The next line starting with {@code prefix} (other output is skipped), within 30 s. */
  private static String awaitLine(BlockingQueue<String> lines, String prefix) throws Exception {
    return awaitLine(lines, l -> l.startsWith(prefix), "starting with \"" + prefix + "\"");
  }

  private static String awaitLineContaining(BlockingQueue<String> lines, String part)
      throws Exception {
    return awaitLine(lines, l -> l.contains(part), "containing \"" + part + "\"");
  }

  private static String awaitLine(BlockingQueue<String> lines, Predicate<String> p, String what)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    StringBuilder seen = new StringBuilder();
    while (System.nanoTime() < deadline) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l != null && p.test(l)) {
        return l;
      }
      if (l != null) {
        seen.append(l).append('\n');
      }
    }
    throw new AssertionError("no line " + what + "; output:\n" + seen);
  }
}
