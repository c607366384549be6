package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.blvm.testsupport.ChildJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A node started with SIGHUP ignored (as under nohup) is told that SIGHUP does nothing there,
 * instead of silently never reloading; a normally started one is not. Each case runs {@link
 * Signals#install} in a JVM of its own, started the way the case needs.
 */
class SignalsTest {
  @Test
  void startedUnderNohup_warnsThatSighupDoesNothing() throws Exception {
    String out = run(true);
    assertTrue(out.contains("SIGHUP is ignored by this process"), out);
    assertTrue(out.contains("use the admin socket"), out);
    assertFalse(out.contains("SIGTERM is ignored"), out);
  }

  @Test
  void startedNormally_noWarning() throws Exception {
    Assumptions.assumeFalse(
        sighupIgnoredHere(),
        "skipped: this test JVM was itself started with SIGHUP ignored, which every child inherits");
    String out = run(false);
    assertFalse(out.contains("SIGHUP is ignored by this process"), out);
    assertTrue(out.contains("installed"), out);
  }

  /** Bit 0 of the ignored-signal mask in /proc/self/status is SIGHUP. */
  private static boolean sighupIgnoredHere() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1L) != 0;
      }
    }
    return false;
  }

  private static String run(boolean nohup) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (nohup) {
      cmd.add("nohup");
    }
    cmd.add(ChildJvm.java());
    cmd.add("-cp");
    cmd.add(ChildJvm.classPath(Main.class));
    cmd.add(Main.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    return text;
  }

  /** The child: installs the node's handlers and ends. */
  public static final class Main {
    private Main() {}

    public static void main(String[] args) {
      Signals.install(() -> {}, () -> {});
      System.out.println("installed");
    }
  }
}
