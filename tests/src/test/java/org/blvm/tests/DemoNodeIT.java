package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blvm-node --demo --blocks 3}, the README's first command, as a real process: it lays out
 * its home, runs the four modules sandboxed with the demo's webhook receiver and miner, and stops
 * by itself once each module did its work. Asserted from what it printed: a webhook received with a
 * valid HMAC, a share accepted, a packet routed from mesh-a and delivered by mesh-b, a payment
 * settled, exit 0. While it runs, no process readable here carries the webhook secret in its
 * command line or environment.
 */
class DemoNodeIT {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  private static final Pattern SECRET = Pattern.compile("(?m)^webhook_secret = \"([0-9a-f]+)\"$");

  @TempDir Path tmp;

  @Test
  void demo_eachOfTheFourModulesDoesItsWork_noSecretInAnyArgvOrEnvironment() throws Exception {
    SandboxFixture.requireSandbox();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = tmp.resolve("home");
    Path log = tmp.resolve("demo.log");
    // blvm.meshModule is modules/blvm-mesh/target/module: the demo takes the modules/ above it
    Path modules =
        ModuleFixture.builtModuleDir("blvm.meshModule").getParent().getParent().getParent();
    Process p =
        new ProcessBuilder(
                JAVA.toString(),
                "-XX:-UsePerfData",
                "-jar",
                NodeProcess.jar("blvm.nodeJar").toString(),
                "--demo",
                "--blocks",
                "3",
                "--home",
                home.toString(),
                "--module-jar",
                ModuleFixture.testModuleJar().toString(),
                "--built-modules",
                modules.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    try {
      Poll.until(
          () -> {
            try {
              return Files.readString(home.resolve("node.toml")).contains("webhook_secret");
            } catch (IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(60),
          "the demo writes its node config");
      Matcher m = SECRET.matcher(Files.readString(home.resolve("node.toml")));
      assertTrue(m.find(), "the node config holds the generated secret");
      String secret = m.group(1);
      assertEquals(64, secret.length());
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("node.toml"))));
      // scan every process while the demo's modules run, until it exits
      int scans = 0;
      while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
        assertEquals(List.of(), processesHolding(secret), "processes with the secret in argv/env");
        scans++;
        assertTrue(scans < 240, "the demo did not stop within 120 s\n" + output(log));
      }
      assertTrue(scans > 0, "the demo ran long enough to be scanned");
      String out = output(log);
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("demo finished: each module did its work"), out);
      assertTrue(out.contains("received, HMAC-SHA256 signature valid"), out);
      assertFalse(out.contains("REFUSED: bad signature"), out);
      assertTrue(
          Pattern.compile("blvm-stratum-v2: share \\d+ of job \\d+ accepted").matcher(out).find(),
          out);
      assertTrue(out.contains("mesh-a: routed a packet to node-b"), out);
      assertTrue(out.contains("mesh-b: delivered a packet from node-a"), out);
      assertTrue(Pattern.compile("blvm-lightning: payment \\S+ settled").matcher(out).find(), out);
      assertFalse(out.contains(secret), "the demo printed the secret");
    } finally {
      p.destroyForcibly();
    }
  }

  private static String output(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** The pids whose command line or environment (where readable) contains {@code secret}. */
  private static List<String> processesHolding(String secret) throws IOException {
    byte[] needle = secret.getBytes(StandardCharsets.US_ASCII);
    List<String> found = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      for (Path dir : s.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
        for (String f : List.of("cmdline", "environ")) {
          try {
            if (contains(Files.readAllBytes(dir.resolve(f)), needle)) {
              found.add(dir.getFileName() + "/" + f);
            }
          } catch (IOException | SecurityException e) {
            // gone, or not ours to read
          }
        }
      }
    }
    return found;
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
