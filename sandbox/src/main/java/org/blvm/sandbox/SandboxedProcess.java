package org.blvm.sandbox;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A program running in a sandbox. */
public interface SandboxedProcess {
  /** Host pid of bwrap (the process the loader spawned and reaps). */
  long pid();

  /** Host pid of the sandbox's pid 1 (bwrap's reaper inside the new pid namespace). */
  long sandboxInitPid();

  /** Inode of the sandbox's pid namespace, as reported by bwrap's --info-fd. */
  long pidNamespace();

  /**
   * The program's stdout and stderr, and bwrap's own messages (e.g. a failed exec), as one stream
   * (the read end of a pipe). The caller must keep reading it, or the program blocks once the pipe
   * is full; it ends when every process of the sandbox has ended. Close it from the thread that
   * reads it.
   */
  java.io.InputStream output();

  /** Completes with the exit code (status, or 128 + signal) once bwrap has been reaped. */
  CompletableFuture<Integer> onExit();

  /**
   * Whether host pid {@code pid} (e.g. from SO_PEERCRED) is a process of this sandbox: its pid
   * namespace is the sandbox's and it descends from the sandbox's pid 1.
   */
  boolean isInside(long pid);

  /** SIGTERM to every process of the sandbox except its pid 1 (which exits with the program). */
  void terminate();

  /** SIGKILL to the sandbox's pid 1 (the kernel then kills the whole pid namespace) and bwrap. */
  void kill();

  /**
   * Diagnostics: the steps of this launch in the order they happened, each with the {@link
   * System#nanoTime()} at which it ended (names as in docs/performance.md, "Launch breakdown").
   */
  default Map<String, Long> launchSteps() {
    return Map.of();
  }

  /** Diagnostics: how many processes the launch spawned (bwrap, and any helper). */
  default int processesSpawned() {
    return 1;
  }
}
