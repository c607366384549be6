package org.blvm.node.host;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.blvm.loader.ModuleManager;
import org.blvm.node.EventSink;
import org.blvm.node.metrics.MetricsEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code blvm-node run}: runs the node until SIGINT or SIGTERM. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the node: starts every module in the modules directory under the policy, serves the"
          + " admin socket, and runs the simulated chain, until SIGINT (Ctrl-C) or SIGTERM.",
      "SIGHUP reloads the policy and the node config."
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NodeOptions options;

  @Mixin MetricsOptions metrics;

  @Mixin InterpreterOptions interpreters;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ModuleManager.Builder builder = ModuleManager.builder();
    interpreters.applyTo(builder, spec);
    return run(options.paths(), out, builder, (type, payload) -> {}, null, metrics.listen(spec));
  }

  /**
   * Starts a node on {@code paths} and runs it until a stop signal, or until {@code until} (when
   * not null) returns; then stops it. {@code observer} sees every event the node publishes (after
   * the modules were handed it; it must not block). Returns the exit code.
   */
  static int run(
      NodePaths paths,
      PrintWriter out,
      ModuleManager.Builder builder,
      EventSink observer,
      Until until)
      throws Exception {
    return run(paths, out, builder, observer, until, null);
  }

  /** As above, also serving metrics over HTTP at {@code metrics} when it is not null. */
  static int run(
      NodePaths paths,
      PrintWriter out,
      ModuleManager.Builder builder,
      EventSink observer,
      Until until,
      MetricsEndpoint.MetricsListen metrics)
      throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    try (NodeHost node = new NodeHost(paths, out, builder, observer)) {
      node.serveMetrics(metrics);
      Signals.install(stop::countDown, node::reloadAll);
      try {
        node.start();
      } catch (StartupException e) {
        out.flush();
        PrintWriter err = new PrintWriter(System.err, true);
        err.println("blvm-node: cannot start: " + e.getMessage());
        return NodeExitCodes.STARTUP;
      }
      out.println("blvm-node: running; stop with Ctrl-C or SIGTERM, reload with SIGHUP");
      out.flush();
      int code = until == null ? awaitStop(stop) : until.await(node, stop);
      out.println("blvm-node: stopping");
      out.flush();
      return code;
    }
  }

  private static int awaitStop(CountDownLatch stop) throws InterruptedException {
    stop.await();
    return NodeExitCodes.OK;
  }

  /** What a caller waits for instead of a stop signal (the demo's block count). */
  @FunctionalInterface
  interface Until {
    /** Waits while {@code node} runs; {@code stop} opens on SIGINT/SIGTERM. Returns the code. */
    int await(NodeHost node, CountDownLatch stop) throws Exception;
  }
}
