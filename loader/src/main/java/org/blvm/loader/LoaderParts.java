package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.blvm.policy.Admission;
import org.blvm.policy.DataVersions;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventType;

/**
 * The objects behind {@link ModuleManager}, built and wired once from the builder's settings: the
 * facade only delegates to them. Besides the wiring it holds the steps that touch several of them
 * at once: the preflight of {@code start()}, publishing a node event, the node-config calls and the
 * ordered close.
 */
final class LoaderParts {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  final LoaderConfig config;
  final ModuleLauncher launcher;
  final Admission admission;
  final Codec codec;
  final AuditLog audit;
  final ModuleRegistry modules;
  final ModuleDiscovery discovery;
  final RestartPolicy restarts;
  final ConfigReloader configReloader; // null without a node config
  final EventRelay relay;

  /** The relay's task for every published node event (encoded into its pool). */
  private final NodeEventFanOut nodeEvents;

  final ModuleRunner runner;
  final ModuleHistory history;
  final ModuleViews views;
  final DataUsageMonitor dataUsage;
  final NetworkBroker network;
  final Upgrader upgrader;
  final Rollbacker rollbacker;
  final DependencyStart dependencies;
  final DependencyCascade cascade;
  final AutoUpgrader autoUpgrader;
  private final Path stateDir;

  LoaderParts(ModuleManagerBuilder<?> b, LoaderConfig config) {
    this.config = config;
    this.launcher = b.launcher;
    this.admission = b.admission;
    this.codec = new Codec(b.limits);
    this.audit =
        new AuditLog(config.auditLog(), b.auditMaxBytes, b.auditKeep, 65_536, b.clock, b.ticker);
    this.modules = new ModuleRegistry(b.eventListener);
    this.discovery = new ModuleDiscovery(config.modulesDir(), config.maxModules(), b.admission);
    this.restarts = new RestartPolicy(b.ticker);
    this.relay = new EventRelay("blvm-event-relay");
    this.nodeEvents = new NodeEventFanOut(codec, modules);
    this.history = new ModuleHistory(b.clock);
    this.dataUsage =
        new DataUsageMonitor(config.dataUsageIntervalMs(), config.dataUsageBudget(), b.ticker);
    this.stateDir = b.admission.stateDir().orElse(null);
    if (stateDir != null) {
      history.addListener(new DataVersionGate(modules, new DataVersions(stateDir)));
    }
    this.configReloader =
        b.nodeConfig == null
            ? null
            : new ConfigReloader(
                modules::all,
                codec,
                b.nodeConfig,
                b.watchNodeConfig,
                b.reloadConfigOnSighup,
                b.nodeConfigDebounce,
                b.clock,
                b.ticker);
    this.runner =
        new ModuleRunner(
            config,
            launcher,
            b.random,
            codec,
            modules,
            discovery,
            restarts,
            relay,
            configReloader,
            b.logListener,
            history,
            b.clock,
            dataUsage);
    OnDemandLaunches onDemand =
        new OnDemandLaunches(runner, modules, discovery, relay, history, config, b.ticker);
    runner.onDemand(onDemand);
    modules.onDemand(onDemand.starter());
    this.upgrader = new Upgrader(modules, discovery, runner, config.stopGraceMs());
    this.rollbacker = new Rollbacker(modules, discovery, runner, upgrader);
    this.dependencies = new DependencyStart(discovery, runner, modules);
    this.cascade = new DependencyCascade(modules, dependencies, config.stopGraceMs());
    history.addFollower(cascade); // after the host's listeners: they see a cause before its effects
    runner.restartGate(cascade::holdRestart);
    this.autoUpgrader =
        new AutoUpgrader(
            AutoUpgrader.of(modules),
            () -> discovery.admission().policy(),
            this::upgrade,
            () -> DaemonThreads.scheduler("blvm-auto-upgrade"));
    SubscriptionListener subscribed =
        s -> modules.get(s.id()).filter(m -> m.session() == s).ifPresent(this::configSubscribed);
    this.network =
        new NetworkBroker(
            audit, b.networkResolver, b.resolveTimeout.toMillis(), b.connectTimeout.toMillis());
    this.views =
        new ModuleViews(
            config, launcher, modules, restarts, history, audit, b.clock, ProcessTree.system());
    Dispatcher dispatcher =
        new Dispatcher(b.backend, codec, audit, modules, modules, subscribed, network);
    runner.services(
        new LoadedModule.Services(
            config, codec, dispatcher, relay, b.ticker, runner, runner.timer()));
  }

  /**
   * Everything {@code start()} does before the first module: loads the node config, logs the
   * launcher's problems, prepares and checks the roots, loads the native socket library. Returns
   * whether the roots share a filesystem with the data root.
   */
  StorageStatus preflight() throws IOException {
    if (configReloader != null) {
      configReloader.start(); // a bad node config at start is fatal: NodeConfigException
    }
    List<String> problems = launcher.problems();
    if (!problems.isEmpty()) {
      LOG.log(
          System.Logger.Level.ERROR,
          "modules cannot be launched; {0} problem(s):\n{1}",
          Integer.toString(problems.size()),
          String.join("\n", problems));
    }
    LoaderRoots.prepare(config, launcher, admission);
    StorageStatus storage = LoaderRoots.checkSharing(config, stateDir);
    NativePreflight.prepare(config.runtimeDir()); // before the first Unix socket
    return storage;
  }

  /** {@code ModuleManager.publish}: checks the payload, then hands the fan-out to the relay. */
  int publish(EventType type, Record payload) {
    Objects.requireNonNull(type, "type");
    if (!type.payloadType().isInstance(payload)) {
      throw new IllegalArgumentException(
          type + " takes a " + type.payloadType().getSimpleName() + " payload, got " + payload);
    }
    if (type == EventType.ConfigLoaded) {
      // one payload for every subscriber would bypass per-module filtering and redaction
      throw new IllegalArgumentException(
          "ConfigLoaded is built per module by the loader from the node config; use"
              + " Builder.nodeConfig and reloadConfig()");
    }
    if (type == EventType.EventsDropped) {
      throw new IllegalArgumentException(
          "EventsDropped is sent by each connection when its own events were dropped");
    }
    String wire = type.wireName();
    int subscribers = modules.subscribers(wire);
    relay.relay(nodeEvents, wire, payload);
    return subscribers;
  }

  /**
   * {@code ModuleManager.upgradeModule}, and each automatic upgrade: the dependents stopped first
   * and started again after.
   */
  ModuleUpgrade upgrade(String id) throws InterruptedException {
    cascade.stopDependents(id, "stopped: its dependency " + id + " is upgraded");
    try {
      return upgrader.upgrade(id);
    } finally {
      cascade.resume(id); // a refused or unchanged upgrade: it kept running
    }
  }

  /** {@code ModuleManager.reloadConfig}. */
  ConfigReload reloadConfig() {
    if (configReloader == null || configReloader.last() == null) {
      throw new IllegalStateException(
          configReloader == null
              ? "no node config file was set (Builder.nodeConfig)"
              : "the module manager was not started");
    }
    return configReloader.reloadNow();
  }

  Optional<ConfigReload> configStatus() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.last());
  }

  Optional<String> lastConfigError() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.lastError());
  }

  private void configSubscribed(LoadedModule m) {
    if (configReloader != null) {
      configReloader.subscribed(m);
    }
  }

  /** Stops every module, then closes the rest in order; the caller flushed the events before. */
  void close() {
    autoUpgrader.close(); // no upgrade starts during the stops below
    cascade.close(); // nothing is stopped or started again because of the stops below
    if (configReloader != null) {
      configReloader.close();
    }
    runner.stopAll();
    dataUsage.close();
    network.close();
    // after the modules stopped; an event published later is notified by its publisher
    relay.close();
    audit.close();
  }
}
