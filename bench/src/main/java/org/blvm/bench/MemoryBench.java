package org.blvm.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;

/**
 * (d) Loader heap per connected idle module: heap used by this JVM (the loader's) after full GCs
 * with {@code n} admitted, launched, authenticated and started idle modules, minus the same manager
 * with none, divided by {@code n}. The idle modules are rawmodule.py processes: real processes that
 * pass admission (signed) and the real handshake, without a JVM each.
 */
final class MemoryBench {
  private static final double TARGET_MIB = 2.0;

  private MemoryBench() {}

  static List<Result> run(Harness h, int n) throws Exception {
    Path modules = h.work.resolve("modules-idle");
    Path more = h.work.resolve("modules-idle-later");
    List<Path> dirs = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      dirs.add(h.installRaw(more, "idle" + i, "idle", List.of()));
    }
    try (ModuleManager m = h.manager(modules, "idle", (s, t, p) -> {}).build()) {
      m.start();
      long before = heapUsedAfterGc();
      for (Path d : dirs) {
        m.startModule(d);
      }
      for (Path d : dirs) {
        String id = d.getFileName().toString();
        if (!m.awaitState(id, ModuleState.STARTED, Duration.ofSeconds(60))) {
          throw new TimeoutException(id + " did not start: " + m.status(id));
        }
      }
      long after = heapUsedAfterGc();
      double perModule = (after - before) / (double) n / (1 << 20);
      System.out.printf(
          "(d) loader heap with %d idle connected modules: %.1f MiB, with none: %.1f MiB"
              + " -> %.3f MiB per module (JVM heap used after System.gc(), this JVM)%n",
          n, after / (double) (1 << 20), before / (double) (1 << 20), perModule);
      return List.of(
          new Result(
              "d",
              "loader heap per idle connected module, " + n + " modules",
              String.format("%.3f MiB", perModule),
              "(target 2 MiB)",
              perModule / TARGET_MIB,
              "<= 2 MiB",
              perModule <= TARGET_MIB));
    }
  }

  private static long heapUsedAfterGc() throws InterruptedException {
    MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
