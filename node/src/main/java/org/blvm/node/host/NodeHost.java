package org.blvm.node.host;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import org.blvm.admin.AdminException;
import org.blvm.loader.ConfigReload;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.node.EventSink;
import org.blvm.node.SimulatedChain;
import org.blvm.node.SimulationConfigException;
import org.blvm.node.SimulationDriver;
import org.blvm.node.SimulationSettings;
import org.blvm.node.admin.AdminCommand;
import org.blvm.node.admin.AdminServer;
import org.blvm.node.admin.AuditCommand;
import org.blvm.node.admin.CommandRegistry;
import org.blvm.node.admin.ConfigReloadCommand;
import org.blvm.node.admin.LogsCommand;
import org.blvm.node.admin.MetricsCommand;
import org.blvm.node.admin.ModuleRestartCommand;
import org.blvm.node.admin.ModuleRollbackCommand;
import org.blvm.node.admin.ModuleStartCommand;
import org.blvm.node.admin.ModuleStopCommand;
import org.blvm.node.admin.ModuleUnloadCommand;
import org.blvm.node.admin.ModuleUpgradeCommand;
import org.blvm.node.admin.ModulesListCommand;
import org.blvm.node.admin.ModulesStatusCommand;
import org.blvm.node.admin.PolicyReloadCommand;
import org.blvm.node.admin.SecurityCommand;
import org.blvm.node.metrics.MetricsEndpoint;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;
import org.blvm.sandbox.SandboxOptions;

/**
 * The node: a {@link ModuleManager} embedded through its public API, exactly as a real node embeds
 * it, with the simulated chain as its backend ({@link SimulatedChain}, stepped by a {@link
 * SimulationDriver} that publishes through {@link ModuleManager#publish}), and the admin socket.
 * {@link #start()} brings it up; {@link #close()} stops it: NodeShutdown, the admin socket, then
 * every module gracefully.
 */
final class NodeHost implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.node");

  /** How long startup waits for the modules before the chain starts anyway. */
  static final Duration MODULES_STARTUP = Duration.ofSeconds(60);

  private final NodePaths paths;
  private final PrintWriter out;
  private final ModuleManager.Builder builder;
  private final EventSink observer;
  private ModuleManager modules;
  private SimulationDriver driver;
  private AdminServer admin;
  private MetricsEndpoint metrics;
  private MetricsEndpoint.MetricsListen metricsListen;
  private final ExecutorService reloads =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "blvm-node-reload");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param builder the manager's builder, for settings a caller adds (the demo's listeners); the
   *     host sets the paths, admission, node config, sandbox and backend itself
   * @param observer sees every event the node publishes, after the modules were handed it
   */
  NodeHost(NodePaths paths, PrintWriter out, ModuleManager.Builder builder, EventSink observer) {
    this.paths = paths;
    this.out = out;
    this.builder = builder;
    this.observer = observer;
  }

  /**
   * Reads the policy and node config, starts every module, opens the admin socket and starts the
   * chain once the modules are up (or after {@link #MODULES_STARTUP}).
   *
   * @throws StartupException naming the file and every problem, when something cannot be used
   */
  void start() throws StartupException, InterruptedException {
    Policy policy = readPolicy();
    SimulationSettings settings;
    try {
      settings = SimulationSettings.read(paths.config());
    } catch (SimulationConfigException e) {
      throw new StartupException(e.getMessage());
    }
    Admission admission;
    try {
      admission = Admission.builder().policy(policy).stateDir(paths.state()).build();
    } catch (AdmissionException e) {
      throw new StartupException(e.getMessage());
    }
    if (!Files.isDirectory(paths.modules())) {
      throw new StartupException(
          "the modules directory " + paths.modules() + " does not exist (--modules)");
    }
    SimulatedChain chain = new SimulatedChain(settings);
    modules =
        builder
            .admission(admission)
            .modulesDir(paths.modules())
            .runtimeDir(paths.runtime())
            .dataDir(paths.data())
            .auditLog(paths.auditLog(), 16L << 20, 5)
            .nodeConfig(paths.config())
            .sandbox(SandboxOptions.defaults())
            .backend(chain)
            .build();
    modules.addStateListener(
        c ->
            LOG.log(
                c.to() == ModuleState.FAILED
                    ? System.Logger.Level.WARNING
                    : System.Logger.Level.INFO,
                "module {0}: {1} -> {2}{3}",
                c.module(),
                c.from(),
                c.to(),
                c.detail() == null ? "" : " (" + c.detail() + ")"));
    ModuleManager m = modules;
    driver =
        new SimulationDriver(
            chain,
            (type, payload) -> {
              m.publish(type, payload);
              observer.publish(type, payload);
            });
    try {
      modules.start();
    } catch (IOException e) {
      throw new StartupException(e.getMessage(), e);
    }
    metrics = new MetricsEndpoint(modules);
    if (metricsListen != null) {
      try {
        InetSocketAddress at = metrics.serve(metricsListen);
        out.println(
            "blvm-node: metrics http://"
                + new MetricsEndpoint.MetricsListen(at.getAddress(), at.getPort())
                + "/metrics");
      } catch (IOException e) {
        throw new StartupException(e.getMessage(), e);
      }
    }
    try {
      admin = AdminServer.start(paths.adminSocket(), commands(), AdminServer.Settings.defaults());
    } catch (IOException e) {
      throw new StartupException(e.getMessage(), e);
    }
    out.println("blvm-node: admin socket " + admin.socket());
    out.flush();
    try {
      modules.awaitAllStarted(MODULES_STARTUP);
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.WARNING, "starting the chain anyway: {0}", e.getMessage());
    }
    for (ModuleStatus s : modules.statuses()) {
      out.println(
          "blvm-node: module "
              + s.name()
              + " "
              + (s.version() == null ? "" : s.version() + " ")
              + s.state()
              + (s.detail() == null ? "" : " (" + s.detail() + ")"));
    }
    out.flush();
    driver.start();
    LOG.log(System.Logger.Level.INFO, "node started: the simulated chain runs");
  }

  /** The commands of the admin socket: one line each (docs/admin.md). */
  private CommandRegistry commands() {
    List<AdminCommand> all =
        List.of(
            new ModulesListCommand(modules),
            new ModulesStatusCommand(modules, Clock.systemUTC()),
            new ModuleStartCommand(modules),
            new ModuleStopCommand(modules),
            new ModuleRestartCommand(modules),
            new ModuleUpgradeCommand(modules),
            new ModuleRollbackCommand(modules),
            new ModuleUnloadCommand(modules),
            new PolicyReloadCommand(modules, paths.policy()),
            new ConfigReloadCommand(modules),
            new LogsCommand(modules),
            new AuditCommand(modules),
            new MetricsCommand(name -> modules.status(name).isPresent(), metrics::text),
            new SecurityCommand(modules));
    return new CommandRegistry(all);
  }

  private Policy readPolicy() throws StartupException {
    try {
      return Policy.read(paths.policy());
    } catch (PolicyException e) {
      throw new StartupException(e.getMessage());
    } catch (IOException e) {
      throw new StartupException("cannot read the policy " + paths.policy() + ": " + e);
    }
  }

  /**
   * SIGHUP: reloads the policy, then the node config, on the {@code blvm-node-reload} thread (never
   * on the signal's thread); what happened is logged. An invalid policy or config is refused (each
   * problem logged) and the one in force stays. Signals while a reload runs are queued.
   */
  void reloadAll() {
    ModuleManager m = modules;
    if (m == null) {
      return;
    }
    reloads.execute(
        () -> {
          try {
            JsonNode p = PolicyReloadCommand.reload(m, paths.policy());
            LOG.log(
                System.Logger.Level.INFO,
                "SIGHUP: policy {0} applied; stopped {1}, narrowed {2}",
                paths.policy(),
                p.get("stopped").toString(),
                p.get("narrowed").toString());
          } catch (AdminException e) {
            LOG.log(
                System.Logger.Level.ERROR,
                "SIGHUP: policy refused: {0} {1}",
                e.reason(),
                e.details() == null ? "" : e.details().path("problems").toString());
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "SIGHUP: policy reload failed", e);
          }
          try {
            ConfigReload c = m.reloadConfig();
            LOG.log(
                System.Logger.Level.INFO,
                "SIGHUP: node config {0}",
                c.applied() ? "applied, changed " + c.changedSections() : "refused: " + c.error());
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "SIGHUP: node config reload failed", e);
          }
        });
  }

  /** Serve metrics over HTTP at {@code listen} once started (null: not over HTTP). */
  void serveMetrics(MetricsEndpoint.MetricsListen listen) {
    this.metricsListen = listen;
  }

  /** The module manager (after {@link #start()}). */
  ModuleManager modules() {
    return modules;
  }

  /** Stops the chain (NodeShutdown goes out first), the admin socket, then every module. */
  @Override
  public void close() {
    reloads.shutdownNow();
    if (driver != null) {
      driver.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    if (modules != null) {
      modules.close();
    }
  }
}
