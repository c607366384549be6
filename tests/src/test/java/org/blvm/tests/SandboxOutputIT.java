package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Module output goes through the loader: a module whose program cannot even be executed inside its
 * sandbox is FAILED with bwrap's own message in the detail, and a module flooding its stdout keeps
 * running while its log stays within the loader's budget (rotated files included).
 */
class SandboxOutputIT {
  /** What the loader keeps of one module's output on disk: 4 files of 4 MiB, plus its own lines. */
  private static final long LOG_BUDGET = 4 * (4L << 20) + 4096;

  @TempDir Path tmp;

  @Test
  void execFailsInsideTheSandbox_failedWithBwrapsMessage_floodStaysWithinTheLogBudget()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    // a "binary" whose interpreter does not exist (inside the sandbox or out)
    Path broken = Files.createDirectories(modules.resolve("broken"));
    Files.writeString(broken.resolve("run.sh"), "#!/nonexistent/interpreter\n");
    Files.setPosixFilePermissions(
        broken.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(
        broken.resolve("module.toml"),
        "name = \"broken\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"run.sh\"\n"
            + "capabilities = []\n");
    ModuleFixture.sign(broken);
    SandboxFixture.installNative(modules, "flooder", "flood");
    try (ModuleManager m = SandboxFixture.manager(tmp, o, new SimulatedChain()).build()) {
      m.start();

      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (m.status("broken").orElseThrow().state() != ModuleState.FAILED) {
        assertTrue(System.nanoTime() < deadline, "" + m.statuses());
        Thread.sleep(20);
      }
      String why = m.status("broken").orElseThrow().detail();
      assertTrue(
          why.contains("process exited with status 1; last output: bwrap: execvp")
              && why.contains("No such file or directory"),
          why);
      // FAILED waits for the output and the exit line to be written only for a bounded time
      String brokenLog =
          SandboxFixture.awaitLog(tmp.resolve("run/broken.out.log"), " exited with status 1 ---\n");
      assertTrue(brokenLog.contains("bwrap: execvp"), brokenLog);
      assertTrue(brokenLog.contains(" exited with status 1 ---\n"), brokenLog);

      assertTrue(
          m.awaitState("flooder", ModuleState.INITIALIZED, Duration.ofSeconds(60)),
          "the flooding module was held up: " + m.statuses());
      long onDisk;
      try (Stream<Path> s = Files.list(tmp.resolve("run"))) {
        onDisk =
            s.filter(p -> p.getFileName().toString().startsWith("flooder.out.log"))
                .mapToLong(p -> p.toFile().length())
                .sum();
      }
      assertTrue(onDisk <= LOG_BUDGET, "flooder's logs hold " + onDisk + " bytes");
      assertTrue(Files.exists(tmp.resolve("run/flooder.out.log.3")), "rotated, keeping 3");
      // once the flood is over the log keeps up again: what the module says next is written
      Path current = tmp.resolve("run/flooder.out.log");
      deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!Files.readString(current).contains("module answer welcome")) {
        assertTrue(System.nanoTime() < deadline, "no welcome line in " + current);
        Thread.sleep(20);
      }
      assertEquals(ModuleState.INITIALIZED, m.status("flooder").orElseThrow().state());
    }
  }
}
