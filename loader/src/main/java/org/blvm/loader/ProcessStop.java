package org.blvm.loader;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blvm.protocol.Codec;

/**
 * The graceful end of a module process: the {@code stop} invoke, the grace period, SIGTERM, 2 s,
 * SIGKILL, 5 s. Waits on the calling thread; holds no lock.
 */
final class ProcessStop {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");

  /** The waits after the grace period: 2 s after SIGTERM, 5 s after SIGKILL, and 1 s to spare. */
  static final long SIGNAL_WAITS_MS = 8_000;

  private ProcessStop() {}

  /**
   * Ends {@code p}: asks the module through {@code c} (when connected) to stop, then signals it.
   * Returns the exit future it waited on: done when the process ended, not done when it survived
   * SIGKILL (logged).
   */
  static CompletableFuture<Integer> run(
      String id, LaunchedProcess p, Connection c, Codec codec, long graceMs) {
    CompletableFuture<Integer> exit = p.onExit();
    if (c != null && c.isAuthenticated()) {
      c.invoke("stop", codec.toTree(Map.of("grace_ms", graceMs)), null, graceMs);
    }
    if (waitExit(exit, graceMs)) {
      return exit;
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "module {0} did not exit within {1} ms of stop: SIGTERM",
        id,
        Long.toString(graceMs));
    p.terminate();
    if (waitExit(exit, 2_000)) {
      return exit;
    }
    LOG.log(System.Logger.Level.WARNING, "module {0} ignored SIGTERM: SIGKILL", id);
    p.kill();
    if (!waitExit(exit, 5_000)) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0} pid {1} survived SIGKILL",
          id,
          Long.toString(p.pid()));
    }
    return exit;
  }

  /** Waits (bounded) for the process to end; true when it has. */
  static boolean waitExit(CompletableFuture<Integer> exit, long ms) {
    try {
      exit.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  /** The exit status of an ended process, or null when it is unknown. */
  static Integer status(CompletableFuture<Integer> exit) {
    return exit.isCompletedExceptionally() ? null : exit.getNow(null);
  }
}
