package org.blvm.loader;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake launcher: starts nothing and lets the test JVM itself play the module, so server-side
 * behaviour can be driven byte by byte over a real socket. The "process" ends when the loader
 * terminates or kills it, or when the test calls {@link #exit}.
 */
final class InProcessLauncher implements ModuleLauncher {
  final Map<String, LaunchSpec> specs = new ConcurrentHashMap<>();
  final Map<String, Fake> processes = new ConcurrentHashMap<>();
  final List<String> signals = new CopyOnWriteArrayList<>();

  @Override
  public LaunchedProcess launch(LaunchSpec spec) {
    specs.put(spec.moduleId(), spec);
    Fake f =
        new Fake(spec.moduleId(), "/run/in-process/" + spec.moduleId() + "/" + spec.socketName());
    processes.put(spec.moduleId(), f);
    return f;
  }

  String token(String module) {
    return specs.get(module).token();
  }

  String socket(String module) {
    return specs.get(module).socketPath().toString();
  }

  /**
   * The socket path the launched "process" is told it sees: deliberately not the host path, as in a
   * sandbox, so that a test can tell which of the two the loader sends.
   */
  String moduleSocketPath(String module) {
    return "/run/in-process/" + module + "/" + specs.get(module).socketName();
  }

  /** Waits (bounded) until the loader sent {@code signal} ("TERM" or "KILL") to the module. */
  boolean awaitSignal(String module, String signal) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    while (!signals.contains(module + ":" + signal)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.onSpinWait();
    }
    return true;
  }

  void exit(String module, int status) {
    processes.get(module).exit.complete(status);
  }

  final class Fake implements LaunchedProcess {
    private final String module;
    private final String socket;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();

    Fake(String module, String socket) {
      this.module = module;
      this.socket = socket;
    }

    @Override
    public String moduleSocketPath() {
      return socket;
    }

    @Override
    public long pid() {
      return ProcessHandle.current().pid();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public boolean isPeer(long peerPid) {
      return peerPid == ProcessHandle.current().pid();
    }

    @Override
    public void terminate() {
      signals.add(module + ":TERM");
      exit.complete(143);
    }

    @Override
    public void kill() {
      signals.add(module + ":KILL");
      exit.complete(137);
    }
  }
}
