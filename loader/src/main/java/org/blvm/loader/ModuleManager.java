package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventType;

/**
 * What the node embeds to run modules. It discovers {@code <modules>/<name>/module.toml}, gives
 * each module a private directory with its own listening socket, launches it, authenticates its
 * connection, serves its NodeAPI requests from the {@link NodeBackend}, fans node events out to
 * subscribers, and stops modules gracefully.
 *
 * <pre>{@code
 * try (ModuleManager modules = ModuleManager.builder()
 *         .modulesDir(Path.of("modules"))
 *         .runtimeDir(Path.of("/run/blvm"))
 *         .backend(myNode)
 *         .build()) {
 *   modules.start();
 *   modules.publish(EventType.NewBlock, new EventPayloads.NewBlock(...));
 * }
 * }</pre>
 *
 * <p>A module that fails (bad manifest, failed launch, crash, protocol violation) is marked FAILED
 * and never affects the others. All methods are thread-safe; {@link #publish} never blocks. This
 * class is a facade: docs/architecture.md names the classes behind it.
 */
public final class ModuleManager implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** Configures a {@link ModuleManager}; see {@link ModuleManagerBuilder}. */
  public static final class Builder extends ModuleManagerBuilder<Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }
  }

  private final LoaderConfig config;
  private final ModuleLauncher launcher;
  private final Codec codec;
  private final AuditLog audit;
  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final RestartPolicy restarts;
  private final ConfigReloader configReloader;
  private final EventRelay relay;
  private final ModuleRunner runner;
  private final NetworkBroker network;
  private volatile boolean closed;

  ModuleManager(ModuleManagerBuilder<?> b, LoaderConfig config) {
    this.config = config;
    this.launcher = b.launcher;
    this.codec = new Codec(b.limits);
    this.audit =
        new AuditLog(config.auditLog(), b.auditMaxBytes, b.auditKeep, 65_536, b.clock, b.ticker);
    this.modules = new ModuleRegistry(b.eventListener);
    this.discovery = new ModuleDiscovery(config.modulesDir(), config.maxModules(), b.admission);
    this.restarts = new RestartPolicy(b.ticker);
    this.relay = new EventRelay("blvm-event-relay");
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
            b.logListener);
    SubscriptionListener subscribed =
        s -> modules.get(s.id()).filter(m -> m.session() == s).ifPresent(this::configSubscribed);
    this.network =
        new NetworkBroker(
            audit, b.networkResolver, b.resolveTimeout.toMillis(), b.connectTimeout.toMillis());
    Dispatcher dispatcher =
        new Dispatcher(b.backend, codec, audit, modules, modules, subscribed, network);
    runner.services(
        new LoadedModule.Services(
            config, codec, dispatcher, relay, b.ticker, runner, runner.timer()));
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Discovers every module directory and starts each module. A module that cannot start is reported
   * FAILED in the returned statuses; the others start regardless.
   *
   * @throws IOException when the node config, the modules directory or the native socket library (a
   *     preflight: the message says what to fix) is unusable
   * @throws org.blvm.policy.UnsafeRootException when the runtime or data root is not fit to be the
   *     loader's (it is checked, never changed; the message names the fix)
   */
  public List<ModuleStatus> start() throws IOException {
    ensureOpen();
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
    LoaderRoots.prepare(config, launcher);
    NativePreflight.prepare(config.runtimeDir()); // before the first Unix socket
    for (Path dir : discovery.moduleDirs()) {
      startModule(dir);
    }
    return statuses();
  }

  /** Loads and starts the module in {@code dir} (a directory holding module.toml). */
  public ModuleStatus startModule(Path dir) {
    ensureOpen();
    return runner.start(dir);
  }

  /** Stops a module gracefully (stop message, grace period, SIGTERM, SIGKILL) and waits for it. */
  public ModuleStatus stopModule(String id) {
    return runner.stop(id);
  }

  /** Stops the module if needed and forgets it; its data directory stays. */
  public void unloadModule(String id) {
    runner.unload(id);
  }

  /**
   * Waits until the module reaches {@code state}.
   *
   * @return false when the deadline passed or the module ended before reaching it
   */
  public boolean awaitState(String id, ModuleState state, Duration timeout)
      throws InterruptedException {
    return modules.require(id).host().awaitState(state, timeout.toMillis());
  }

  /** Waits until every loaded module is STARTED; names the ones that are not. */
  public void awaitAllStarted(Duration timeout) throws InterruptedException, TimeoutException {
    modules.awaitAllStarted(timeout);
  }

  /** How many times the module was restarted after failing. */
  public long restarts(String id) {
    return restarts.restarts(id);
  }

  /** Stops every module (all at once, each with the grace period) and closes the manager. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    flushEvents(); // e.g. a NodeShutdown published just before: queued ahead of the stops
    closed = true;
    if (configReloader != null) {
      configReloader.close();
    }
    runner.stopAll();
    network.close();
    // after the modules stopped; an event published later is notified by its publisher
    relay.close();
    audit.close();
  }

  /** The JSON-lines file recording every permission decision. */
  public Path auditLog() {
    return config.auditLog();
  }

  /** Whether the audit log is being written, and how many decisions it lost or dropped. */
  public AuditStatus auditStatus() {
    return audit.status();
  }

  // ------------------------------------------------------------------ events

  /**
   * Publishes a node event to every subscribed module. The calling thread only checks the payload,
   * counts the subscribers and hands the event to the {@code blvm-event-relay} thread, which
   * encodes it once and queues it for each of them, in publish order (docs/concurrency.md); it
   * never waits on a module, and does no per-subscriber work unless the node outpaces the relay by
   * more than {@code EventRelay.MAX_BACKLOG} events (then each call also runs the oldest queued
   * fan-out). Returns how many modules were connected and subscribed when it was called: each of
   * them gets the event unless it disconnects first or its overflow rule drops it. {@link
   * #flushEvents} waits until the events published so far have been queued.
   */
  public int publish(EventType type, Record payload) {
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
    relay.relay(() -> modules.fanOut(codec.encodeShared(wire, null, (Object) payload)));
    return subscribers;
  }

  /**
   * Returns once every event published before the call has been queued for its subscribers (it runs
   * the pending fan-outs on the calling thread if need be).
   */
  public void flushEvents() {
    relay.flush();
  }

  // ------------------------------------------------------------------ node config

  /**
   * The admin call: re-reads the node config now and, if it is valid, sends each subscribed module
   * the sections visible to it that changed. A broken or missing file keeps the old config and
   * sends nothing; the result says why. Waits at most 10 s. See docs/config.md.
   *
   * @throws IllegalStateException when no node config was set or the manager was not started
   */
  public ConfigReload reloadConfig() {
    if (configReloader == null || configReloader.last() == null) {
      throw new IllegalStateException(
          configReloader == null
              ? "no node config file was set (Builder.nodeConfig)"
              : "the module manager was not started");
    }
    return configReloader.reloadNow();
  }

  /** The outcome of the last load or reload of the node config; empty without a node config. */
  public Optional<ConfigReload> configStatus() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.last());
  }

  /** Why the last reload was refused, or empty when it was applied (or there is none). */
  public Optional<String> lastConfigError() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.lastError());
  }

  private void configSubscribed(LoadedModule m) {
    if (configReloader != null) {
      configReloader.subscribed(m);
    }
  }

  // ------------------------------------------------------------------ views

  public Optional<ModuleStatus> status(String id) {
    return modules.status(id);
  }

  /** Every module the manager knows, loaded or refused, by name. */
  public List<ModuleStatus> statuses() {
    return modules.statuses();
  }

  /** The last value of each metric the module reported. */
  public Map<String, Double> metrics(String id) {
    return modules.require(id).session().metrics();
  }

  /** Requests refused for a missing capability, counted per module. */
  public long deniedCalls(String id) {
    return modules.require(id).session().deniedCalls();
  }

  /** Requests refused because the module was over its rate limit. */
  public long rateLimitedCalls(String id) {
    return modules.require(id).session().rateLimitedCalls();
  }

  /** Events dropped from the module's queue under the drop_oldest overflow rule. */
  public long droppedEvents(String id) {
    return modules.require(id).session().droppedEvents();
  }

  /** Times the module was disconnected because its outgoing queue was full. */
  public long queueOverflows(String id) {
    return modules.require(id).session().overflows();
  }

  /** Protocol violations seen from the module (each closed its connection). */
  public long protocolErrors(String id) {
    return modules.require(id).session().protocolErrors();
  }

  /** The socket a module connects to (for diagnostics and tests). */
  public Path socketPath(String id) {
    return modules.require(id).socketPath();
  }

  /** The loaded module {@code id} (for tests). */
  Optional<LoadedModule> module(String id) {
    return modules.get(id);
  }

  EventRelay eventRelay() {
    return relay;
  }

  RestartPolicy restartPolicy() {
    return restarts;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("module manager is closed");
    }
  }
}
