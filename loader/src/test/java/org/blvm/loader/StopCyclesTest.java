package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stopModule} returns only once the module's final state is set: STOPPED, never STOPPING —
 * 200 times with a real process. Its launcher reports the exit to each listener on a timer thread
 * after up to 3 ms, as a loaded machine may (the contract of {@link LaunchedProcess#onExit} says
 * when it completes, not on which thread or in which order): the stop must not rely on the
 * manager's exit listener having run when its own wait returns.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StopCyclesTest {
  @TempDir Path tmp;

  @Test
  void stopModule_200Cycles_eachReturnsStoppedNeverStopping() throws Exception {
    try (LoaderFixture fx = new LoaderFixture(tmp).module("cycler", "", "")) {
      Path dir = tmp.resolve("modules/cycler");
      Files.writeString(dir.resolve("mod"), "#!/bin/sh\nexec sleep 300\n");
      fx.sign(dir);
      fx.start(b -> b.launcher(new LateExitLauncher()).stopGrace(Duration.ofMillis(1)));
      for (int i = 1; i <= 200; i++) {
        ModuleStatus stopped = fx.manager.stopModule("cycler");
        assertEquals(ModuleState.STOPPED, stopped.state(), "cycle " + i + ": " + stopped);
        assertEquals(
            ModuleState.STOPPED,
            fx.manager.status("cycler").orElseThrow().state(),
            "cycle " + i + " after return");
        fx.manager.unloadModule("cycler");
        assertEquals(ModuleState.LOADED, fx.manager.startModule(dir).state(), "cycle " + i);
      }
    }
  }

  /** Plain processes whose exit reaches each {@code onExit()} caller after 0–3 ms. */
  private static final class LateExitLauncher implements ModuleLauncher {
    private final ModuleLauncher plain = ModuleLauncher.plainProcesses();

    @Override
    public LaunchedProcess launch(LaunchSpec spec) throws IOException {
      LaunchedProcess p = plain.launch(spec);
      return new LaunchedProcess() {
        @Override
        public long pid() {
          return p.pid();
        }

        @Override
        public CompletableFuture<Integer> onExit() {
          long delay = ThreadLocalRandom.current().nextLong(3_000);
          return p.onExit()
              .thenApplyAsync(
                  s -> s, CompletableFuture.delayedExecutor(delay, TimeUnit.MICROSECONDS));
        }

        @Override
        public boolean isPeer(long peerPid) {
          return p.isPeer(peerPid);
        }

        @Override
        public String moduleSocketPath() {
          return p.moduleSocketPath();
        }

        @Override
        public void terminate() {
          p.terminate();
        }

        @Override
        public void kill() {
          p.kill();
        }
      };
    }
  }
}
