package org.blvm.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** One running bwrap and the sandbox it made. The JVM does not reap it: a reaper thread does. */
final class BwrapProcess implements SandboxedProcess {
  private static final System.Logger LOG = System.getLogger("blvm.sandbox");

  private final String name;
  private final int pid;
  private final int initPid;
  private final long pidNs;
  private final String nsLink;
  private final java.io.InputStream output;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();

  /** Set once by the launch, before the process is handed out. */
  private Map<String, Long> launchSteps = Map.of();

  private int spawned = 1;

  BwrapProcess(String name, int pid, int initPid, long pidNs, java.io.InputStream output) {
    this.name = name;
    this.pid = pid;
    this.initPid = initPid;
    this.pidNs = pidNs;
    this.nsLink = "pid:[" + pidNs + "]";
    this.output = output;
  }

  @Override
  public java.io.InputStream output() {
    return output;
  }

  /** The launch's steps and the processes it spawned; called once, before it is handed out. */
  void launched(Map<String, Long> steps, int processesSpawned) {
    this.launchSteps = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(steps));
    this.spawned = processesSpawned;
  }

  @Override
  public Map<String, Long> launchSteps() {
    return launchSteps;
  }

  @Override
  public int processesSpawned() {
    return spawned;
  }

  void startReaper() {
    Thread t =
        new Thread(
            () -> {
              try {
                exit.complete(Libc.exitCode(Libc.waitFor(pid)));
              } catch (NativeException e) {
                LOG.log(System.Logger.Level.ERROR, "reaping bwrap of {0} failed: {1}", name, e);
                exit.complete(-1);
              }
            },
            "blvm-sandbox-" + name + "-reaper");
    t.setDaemon(true);
    t.start();
  }

  static void reapInBackground(int pid, String name) {
    Thread t =
        new Thread(
            () -> {
              try {
                Libc.waitFor(pid);
              } catch (NativeException e) {
                // already gone
              }
            },
            "blvm-sandbox-" + name + "-reaper");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public long sandboxInitPid() {
    return initPid;
  }

  @Override
  public long pidNamespace() {
    return pidNs;
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return exit;
  }

  @Override
  public boolean isInside(long peer) {
    if (peer <= 0 || !nsLink.equals(pidNamespaceOf(peer))) {
      return false;
    }
    Optional<ProcessHandle> h = ProcessHandle.of(peer);
    for (int depth = 0; depth < 64 && h.isPresent(); depth++) {
      if (h.get().pid() == initPid) {
        // still the same sandbox once we got here (pid reuse between the two reads)
        return nsLink.equals(pidNamespaceOf(peer));
      }
      h = h.get().parent();
    }
    return false;
  }

  static String pidNamespaceOf(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "pid")).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  @Override
  public void terminate() {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : ds) {
        long q = Long.parseLong(p.getFileName().toString());
        if (q != initPid && q != pid && nsLink.equals(pidNamespaceOf(q))) {
          Libc.kill((int) q, Libc.SIGTERM);
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot list /proc to terminate {0}: {1}", name, e);
    }
  }

  @Override
  public void kill() {
    if (nsLink.equals(pidNamespaceOf(initPid))) {
      Libc.kill(initPid, Libc.SIGKILL);
    }
    if (!exit.isDone()) {
      Libc.kill(pid, Libc.SIGKILL);
    }
  }

  @Override
  public String toString() {
    return "sandbox " + name + " (bwrap pid " + pid + ", init pid " + initPid + ", " + nsLink + ")";
  }
}
