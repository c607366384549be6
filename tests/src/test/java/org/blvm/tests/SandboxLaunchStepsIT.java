package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The breakdown the loader logs of a sandboxed launch (docs/performance.md, "Launch breakdown"):
 * every step, in order, with the one process the launch spawned.
 */
class SandboxLaunchStepsIT {
  private static final String STEP = "=\\d+\\.\\d\\d ";

  @TempDir Path tmp;

  @Test
  void sandboxedLaunch_logsEveryStepInOrder() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    Logger launchLog = Logger.getLogger("blvm.loader.launch");
    java.util.concurrent.CompletableFuture<String> line =
        new java.util.concurrent.CompletableFuture<>();
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            Object[] p = r.getParameters();
            if (p != null && p.length == 2 && "steps".equals(p[0])) {
              line.complete(String.valueOf(p[1]));
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    h.setLevel(Level.FINE);
    launchLog.setLevel(Level.FINE);
    launchLog.addHandler(h);
    try (ModuleManager m = SandboxFixture.manager(tmp, o, new SimulatedChain()).build()) {
      m.start();
      SandboxFixture.installNative(modules, "steps", "mod-ok");
      m.startModule(modules.resolve("steps"));
      String steps = line.get(60, java.util.concurrent.TimeUnit.SECONDS);
      String expected =
          String.join(
                  STEP,
                  "dirs",
                  "spec",
                  "enterable",
                  "uid",
                  "handed",
                  "profile",
                  "prepared",
                  "seccomp",
                  "argv",
                  "spawned",
                  "sandbox-built",
                  "limits-set",
                  "limits-checked",
                  "released",
                  "launched",
                  "accepting",
                  "connected",
                  "peer-checked",
                  "hello",
                  "welcome")
              + STEP
              + "processes=1";
      assertTrue(steps.matches(expected), steps);
      assertTrue(
          m.awaitState("steps", ModuleState.INITIALIZED, Duration.ofSeconds(30))
              || m.status("steps").orElseThrow().state().isLive(),
          "" + m.status("steps"));
    } finally {
      launchLog.removeHandler(h);
      launchLog.setLevel(null);
    }
  }
}
