package org.blvm.loader;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Runs a module as an ordinary child process with a cleared environment. */
final class PlainProcessLauncher implements ModuleLauncher {

  private static final System.Logger LOG = System.getLogger("blvm.loader");

  @Override
  public org.blvm.policy.ExposureFacts.Isolation isolation(String moduleId) {
    return org.blvm.policy.ExposureFacts.Isolation.UNSANDBOXED;
  }

  @Override
  public LaunchedProcess launch(LaunchSpec spec) throws IOException {
    LOG.log(
        System.Logger.Level.WARNING,
        "module {0} runs UNSANDBOXED as a plain child process (development/test launcher)",
        spec.moduleId());
    if (spec.policy() != null) {
      java.util.List<String> set = new java.util.ArrayList<>();
      for (String k : new java.util.TreeSet<>(spec.policy().explicitKeys())) {
        if (k.equals("sandbox_profile") || k.startsWith("limits.")) {
          set.add(k);
        }
      }
      if (!set.isEmpty()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: the policy''s {1} are NOT applied: an unsandboxed module has no seccomp"
                + " profile and no resource limits",
            spec.moduleId(),
            String.join(", ", set));
      }
    }
    ProcessBuilder pb = new ProcessBuilder(spec.command());
    pb.environment().clear();
    pb.environment().putAll(spec.environment());
    pb.directory(spec.dataDir().toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(spec.outputLog().toFile()));
    pb.redirectErrorStream(true);
    Process process = pb.start();
    return new Plain(process);
  }

  private static final class Plain implements LaunchedProcess {
    private final Process process;
    private final CompletableFuture<Integer> exit;

    Plain(Process process) {
      this.process = process;
      this.exit = process.onExit().thenApply(Process::exitValue);
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public boolean isPeer(long peerPid) {
      long root = process.pid();
      Optional<ProcessHandle> h = ProcessHandle.of(peerPid);
      // Walk up from the peer; bounded so a pid cycle during reuse cannot loop forever.
      for (int depth = 0; depth < 64 && h.isPresent(); depth++) {
        if (h.get().pid() == root) {
          return true;
        }
        h = h.get().parent();
      }
      return false;
    }

    @Override
    public void terminate() {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
    }

    @Override
    public void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
