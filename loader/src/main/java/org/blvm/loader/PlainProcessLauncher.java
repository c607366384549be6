package org.blvm.loader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
    List<String> notApplied = spec.confinement().policySettings();
    if (!notApplied.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: the policy''s {1} are NOT applied: an unsandboxed module has no seccomp"
              + " profile and no resource limits (a JVM module''s heap still follows memory_mb)",
          spec.moduleId(),
          String.join(", ", notApplied));
    }
    List<String> command = new ArrayList<>();
    command.add(spec.entry().executable().toString());
    command.addAll(spec.entry().arguments(spec.arguments()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(spec.environment(spec.socketPath().toString()));
    pb.directory(spec.dataDir().toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
    pb.redirectErrorStream(true);
    Process process = pb.start();
    return LoggedProcess.of(
        spec.moduleId(),
        new Plain(process, spec.socketPath().toString()),
        process.getInputStream(),
        spec.outputLog());
  }

  private static final class Plain implements LaunchedProcess {
    private final Process process;
    private final CompletableFuture<Integer> exit;
    private final String socket;

    Plain(Process process, String socket) {
      this.process = process;
      this.exit = process.onExit().thenApply(Process::exitValue);
      this.socket = socket;
    }

    @Override
    public String moduleSocketPath() {
      return socket;
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
