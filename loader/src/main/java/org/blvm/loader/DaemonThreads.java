package org.blvm.loader;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The loader's own timer threads. */
final class DaemonThreads {
  private DaemonThreads() {}

  /** A scheduler with one daemon thread named {@code name}. */
  static ScheduledExecutorService scheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }
}
