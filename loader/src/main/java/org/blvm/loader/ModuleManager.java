package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ExposureFacts;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.Policy;
import org.blvm.policy.SecurityExposure;
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
  private final Admission admission;
  private final Codec codec;
  private final AuditLog audit;
  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final RestartPolicy restarts;
  private final ConfigReloader configReloader;
  private final EventRelay relay;
  private final ModuleRunner runner;
  private final ProcessTree processes = ProcessTree.system();
  private final ModuleHistory history;
  private final Clock clock;
  private final DataUsageMonitor dataUsage;
  private final Path stateDir;
  private volatile StorageStatus storage = StorageStatus.UNCHECKED;
  private final NetworkBroker network;
  private volatile boolean closed;

  ModuleManager(ModuleManagerBuilder<?> b, LoaderConfig config) {
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
    this.clock = b.clock;
    this.history = new ModuleHistory(b.clock);
    this.dataUsage =
        new DataUsageMonitor(config.dataUsageIntervalMs(), config.dataUsageBudget(), b.ticker);
    this.stateDir = b.admission.stateDir().orElse(null);
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
    LoaderRoots.prepare(config, launcher, admission);
    storage = LoaderRoots.checkSharing(config, stateDir);
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

  /**
   * Starts the module named {@code id} from {@code <modules>/<id>/}: one not loaded yet, one
   * refused at admission earlier, or one that is STOPPED or FAILED (a pending automatic restart is
   * dropped). It is admitted again under the current policy. Returns once it is launched (or
   * refused); {@link #awaitState} waits for STARTED.
   *
   * @throws IllegalArgumentException when there is no such module directory
   * @throws IllegalStateException when it is running or stopping
   */
  public ModuleStatus startModule(String id) {
    ensureOpen();
    return runner.startById(id);
  }

  /**
   * Stops the module if it runs (gracefully, as {@link #stopModule}), then starts it again from its
   * directory, admitted again under the current policy.
   *
   * @throws IllegalArgumentException when there is no such module directory
   */
  public ModuleStatus restartModule(String id) {
    ensureOpen();
    return runner.restartById(id);
  }

  /** Stops a module gracefully (stop message, grace period, SIGTERM, SIGKILL) and waits for it. */
  public ModuleStatus stopModule(String id) {
    return runner.stop(id);
  }

  /**
   * Stops the module if needed and forgets it; its data directory stays. A module refused at
   * admission is forgotten too.
   *
   * @throws IllegalArgumentException when no module of that name is known
   */
  public void unloadModule(String id) {
    runner.unload(id);
  }

  /**
   * Applies a new operator policy without a restart. From now on every admission (starts, automatic
   * restarts) uses it, and each running module is checked against it at once ({@link
   * org.blvm.policy.Admission#recheck}): a module whose signing keys no longer meet it (revoked, no
   * longer trusted, not valid now, threshold raised), that runs unsigned without {@code
   * allow_unsigned}, or that declares a capability it no longer allows under {@code
   * on_disallowed_capability = "reject"} is stopped gracefully with that reason (its state detail
   * says it); one that keeps running loses at once the capabilities it no longer grants (the
   * dispatcher's next check sees them; subscriptions needing one end). Everything else in a
   * module's section — sandbox limits and profile, rate limit, restart rule, overflow rule,
   * callable modules, config sections, and capabilities the new policy adds — applies from the
   * module's next start. Reloads run one at a time; this returns once the stops are done. Reading
   * and validating the file is the caller's ({@link Policy#read}: an invalid file is refused there
   * as a whole, with every problem, and nothing changes).
   */
  public PolicyReload reloadPolicy(Policy policy) {
    ensureOpen();
    return runner.reloadPolicy(Objects.requireNonNull(policy, "policy"));
  }

  /** The policy in force (the builder's admission's, or the last one reloaded). */
  public Policy policy() {
    return discovery.admission().policy();
  }

  /**
   * Registers a listener told of every state change of every module, from now on (register before
   * {@link #start()} to see every change). See {@link ModuleStateListener} for the thread it runs
   * on.
   */
  public void addStateListener(ModuleStateListener listener) {
    history.addListener(Objects.requireNonNull(listener, "listener"));
  }

  public void removeStateListener(ModuleStateListener listener) {
    history.removeListener(listener);
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
    dataUsage.close();
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

  /**
   * Whether the runtime root, the admission state directory or the audit log's directory share a
   * filesystem with the data root (checked by {@link #start()}, which logs a WARNING if so).
   */
  public StorageStatus storageStatus() {
    return storage;
  }

  /**
   * How much of its data directory limits ({@code data_mb}, {@code data_files}) a running module
   * uses, as last measured; empty when it does not run.
   */
  public Optional<DataUsage> dataUsage(String id) {
    return dataUsage.usage(id);
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

  /**
   * What the loader measured for every module it knows, and the audit log's condition, now. Reads
   * counters without stopping any module and {@code /proc} for each running sandbox (bounded work:
   * docs/metrics.md); a module's traffic never waits for it.
   */
  public LoaderMetrics metrics() {
    List<ModuleMetrics> out = new ArrayList<>();
    for (LoadedModule m : modules.all()) {
      out.add(m.metrics(restarts.restarts(m.id()), processes));
    }
    for (ModuleStatus refused : modules.refusedStatuses()) {
      out.add(
          new ModuleMetrics(
              refused.name(),
              refused.state(),
              restarts.restarts(refused.name()),
              0,
              List.of(),
              java.util.Map.of(),
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              Optional.empty(),
              List.of()));
    }
    out.sort(java.util.Comparator.comparing(ModuleMetrics::name));
    return new LoaderMetrics(out, audit.status());
  }

  /** Everything known about module {@code id} now; empty when no module of that name is known. */
  public Optional<ModuleSnapshot> snapshot(String id) {
    LoadedModule m = modules.get(id).orElse(null);
    Optional<ModuleStatus> st = m != null ? Optional.of(m.host().status()) : modules.status(id);
    return st.map(s -> snapshot(s, m));
  }

  /** {@link #snapshot} of every module the manager knows, by name. */
  public List<ModuleSnapshot> snapshots() {
    List<ModuleSnapshot> out = new ArrayList<>();
    for (ModuleStatus s : modules.statuses()) {
      snapshot(s.name()).ifPresent(out::add);
    }
    return out;
  }

  /** The snapshot of a loaded module {@code m}, or of one refused at admission ({@code m} null). */
  private ModuleSnapshot snapshot(ModuleStatus st, LoadedModule m) {
    ModuleHistory.Entry h = history.entry(st.name());
    Session s = m == null ? null : m.session();
    Connection c = m == null ? null : m.connection();
    List<String> signers = new ArrayList<>();
    List<String> subscriptions = new ArrayList<>();
    if (m != null) {
      m.admitted().signerKeyIds().forEach(k -> signers.add(k.toString()));
      subscriptions.addAll(s.subscriptions());
    }
    Collections.sort(signers);
    Collections.sort(subscriptions);
    return new ModuleSnapshot(
        st.name(),
        st.version(),
        st.state(),
        st.detail(),
        st.pid(),
        h == null ? clock.instant() : h.since(),
        h == null ? null : h.launchedAt(),
        signers,
        m != null && m.admitted().unsigned(),
        s == null ? Set.of() : s.granted(),
        m == null ? Set.of() : m.admitted().droppedCapabilities(),
        s == null ? null : s.policy(),
        m == null ? null : m.confinement(),
        restarts.restarts(st.name()),
        h == null ? null : h.lastExit(),
        c == null ? 0 : c.queuedFrames(),
        s == null ? 0 : s.counters().receivedCalls(),
        s == null ? 0 : s.counters().deniedTotal(),
        s == null ? 0 : s.counters().rateLimitedCalls(),
        s == null ? 0 : s.counters().eventsDropped(),
        s == null ? 0 : s.counters().overflows(),
        s == null ? 0 : s.counters().protocolErrors(),
        subscriptions,
        s == null ? List.of() : s.servedMethods());
  }

  /**
   * The file the module's process writes its stdout and stderr to ({@code <runtime>/<id>.out.log});
   * it may not exist yet.
   */
  public Path outputLog(String id) {
    return ModuleLaunchSpecs.outputLog(config, id);
  }

  /**
   * The security exposure of a loaded module (docs/security-score.md): what it is granted now (a
   * policy reload may have narrowed what admission granted), what its policy sets, and how this
   * manager's launcher confines it. Empty for a module that was refused at admission.
   */
  public Optional<ExposureReport> exposure(String id) {
    return modules
        .get(id)
        .map(
            m -> {
              AdmittedModule a = m.admitted();
              ExposureFacts.Isolation isolation = launcher.isolation(id);
              boolean sandboxed =
                  isolation != ExposureFacts.Isolation.UNSANDBOXED
                      && isolation != ExposureFacts.Isolation.UNKNOWN;
              // the profile its launch resolves: the policy's, else the loader's for the runtime
              Optional<String> profile =
                  sandboxed
                      ? Optional.of(
                          LimitResolver.resolve(
                                  config.launchDefaults(),
                                  a.manifest().runtime(),
                                  m.session().policy())
                              .profile())
                      : Optional.empty();
              return SecurityExposure.assess(
                  ExposureFacts.of(a, profile, isolation, List.of(m.dataDir().toString()))
                      .withGranted(m.session().granted()));
            });
  }

  /** The series the module reported with {@code report_metric} in its current launch. */
  public List<ReportedMetric> reportedMetrics(String id) {
    return modules.require(id).session().reportedMetrics();
  }

  /** Requests refused for a missing capability, counted per module over its launches. */
  public long deniedCalls(String id) {
    return counters(id).deniedTotal();
  }

  /** Requests refused because the module was over its rate limit. */
  public long rateLimitedCalls(String id) {
    return counters(id).rateLimitedCalls();
  }

  /** Events dropped from the module's queue under the drop_oldest overflow rule. */
  public long droppedEvents(String id) {
    return counters(id).eventsDropped();
  }

  /** Times the module was disconnected because its outgoing queue was full. */
  public long queueOverflows(String id) {
    return counters(id).overflows();
  }

  /** Protocol violations seen from the module (each closed its connection). */
  public long protocolErrors(String id) {
    return counters(id).protocolErrors();
  }

  private ModuleCounters counters(String id) {
    return modules.require(id).session().counters();
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
