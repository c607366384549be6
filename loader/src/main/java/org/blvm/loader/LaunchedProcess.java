package org.blvm.loader;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A module process started by a {@link ModuleLauncher}. */
public interface LaunchedProcess {
  /** Host pid of the process the launcher started. */
  long pid();

  /**
   * The path of its socket as the module sees it ({@code BLVM_SOCKET}): inside a sandbox the socket
   * directory is mounted elsewhere than on the host.
   */
  String moduleSocketPath();

  /** Completes with the exit status when the process has ended (and was reaped). */
  CompletableFuture<Integer> onExit();

  /**
   * Whether a peer that connected with this host pid (from SO_PEERCRED) is this module's process or
   * one of its descendants. This is how the loader knows who is on the other end of a socket.
   */
  boolean isPeer(long peerPid);

  /**
   * The last lines the module wrote to stdout and stderr, made safe to show (bounded, control
   * characters replaced), or "" when nothing was written or the launcher does not keep them.
   */
  default String lastOutput() {
    return "";
  }

  /**
   * Diagnostics: the launcher's steps in order, each with the {@link System#nanoTime()} at which it
   * ended (empty when the launcher does not report them).
   */
  default Map<String, Long> launchSteps() {
    return Map.of();
  }

  /** Diagnostics: how many processes the launch spawned. */
  default int processesSpawned() {
    return 1;
  }

  /** Asks the process (and its descendants) to end: SIGTERM. */
  void terminate();

  /** Ends the process and all its descendants at once: SIGKILL. */
  void kill();
}
