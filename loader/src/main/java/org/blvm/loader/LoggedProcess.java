package org.blvm.loader;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A launched process whose stdout and stderr the loader writes to the module's log ({@link
 * ModuleOutput}). Its exit completes once the output has ended and the exit line is written
 * (waiting at most {@link #OUTPUT_WAIT_MS} for each), so the last output is known when the exit is
 * handled.
 */
final class LoggedProcess implements LaunchedProcess {
  static final long OUTPUT_WAIT_MS = 1000;

  private final LaunchedProcess process;
  private final ModuleOutput output;
  private final CompletableFuture<Integer> exit;

  private LoggedProcess(LaunchedProcess process, ModuleOutput output) {
    this.process = process;
    this.output = output;
    this.exit =
        process
            .onExit()
            .thenCompose(
                status ->
                    output
                        .finish(Instant.now() + " exited with status " + status, OUTPUT_WAIT_MS)
                        .thenApply(x -> status));
  }

  /** Starts writing {@code output} (the process's stdout and stderr) to {@code log}. */
  static LoggedProcess of(String module, LaunchedProcess process, InputStream output, Path log) {
    ModuleOutput o =
        ModuleOutput.start(module, output, log, Instant.now() + " launched, pid " + process.pid());
    return new LoggedProcess(process, o);
  }

  ModuleOutput output() {
    return output;
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public String moduleSocketPath() {
    return process.moduleSocketPath();
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return exit;
  }

  @Override
  public boolean isPeer(long peerPid) {
    return process.isPeer(peerPid);
  }

  @Override
  public void terminate() {
    process.terminate();
  }

  @Override
  public void kill() {
    process.kill();
  }

  @Override
  public java.util.Map<String, Long> launchSteps() {
    return process.launchSteps();
  }

  @Override
  public int processesSpawned() {
    return process.processesSpawned();
  }

  @Override
  public String lastOutput() {
    return output.tail();
  }
}
