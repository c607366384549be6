package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.Policy;
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
 *
 * <p>Over 400 lines: it is the embedding API, documented here; every method delegates.
 */
public final class ModuleManager implements AutoCloseable {
  /** Configures a {@link ModuleManager}; see {@link ModuleManagerBuilder}. */
  public static final class Builder extends ModuleManagerBuilder<Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }
  }

  private final LoaderParts parts;
  private volatile StorageStatus storage = StorageStatus.UNCHECKED;
  private volatile boolean closed;

  ModuleManager(ModuleManagerBuilder<?> b, LoaderConfig config) {
    this.parts = new LoaderParts(b, config);
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Discovers every module directory, admits each module, and starts them in dependency order: a
   * module is launched once the modules it depends on are STARTED (docs/lifecycle.md,
   * "Dependencies"). A module that cannot start (refused, a dependency missing, outside its range,
   * in a cycle or not started) is reported FAILED in the returned statuses with the reason; the
   * others start regardless. Interrupted, it returns what it started so far. Then the automatic
   * upgrade checks begin (policy {@code auto_upgrade}; docs/lifecycle.md).
   *
   * @throws IOException when the node config, the modules directory or the native socket library (a
   *     preflight: the message says what to fix) is unusable
   * @throws org.blvm.policy.UnsafeRootException when the runtime or data root is not fit to be the
   *     loader's (it is checked, never changed; the message names the fix)
   */
  public List<ModuleStatus> start() throws IOException {
    ensureOpen();
    storage = parts.preflight();
    try {
      parts.dependencies.startAll(parts.discovery.moduleDirs());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    parts.autoUpgrader.start();
    return statuses();
  }

  /**
   * Loads and starts the module in {@code dir} (a directory holding module.toml), once its required
   * dependencies run; FAILED with the reason if one does not.
   *
   * @throws IllegalStateException when interrupted while waiting for a dependency
   */
  public ModuleStatus startModule(Path dir) {
    ensureOpen();
    try {
      return parts.dependencies.startDir(dir);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + dir, e);
    }
  }

  /**
   * Starts the module named {@code id}: one not loaded yet or refused at admission earlier is
   * admitted from {@code <modules>/<id>/}; one that is STOPPED or FAILED runs its pinned store copy
   * again, rechecked under the current policy (a pending automatic restart is dropped; a newer
   * version in its directory is not read). Its required dependencies must run (a starting one is
   * waited for, bounded by its connect deadline): a module admitted now whose dependency does not
   * is FAILED with the reason. Returns once it is launched (or refused); {@link #awaitState} waits
   * for STARTED.
   *
   * @throws IllegalArgumentException when there is no such module directory
   * @throws IllegalStateException when it is running or stopping, or was loaded before and a
   *     required dependency does not run (the message names it)
   */
  public ModuleStatus startModule(String id) {
    ensureOpen();
    try {
      return parts.dependencies.start(id);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + id, e);
    }
  }

  /**
   * Stops the module if it runs (gracefully, as {@link #stopModule}), then starts it again as
   * {@link #startModule(String)} does (its pinned store copy, rechecked under the current policy).
   *
   * @throws IllegalArgumentException when there is no such module directory
   */
  public ModuleStatus restartModule(String id) {
    ensureOpen();
    parts.cascade.stopDependents(id, "stopped: its dependency " + id + " is restarted");
    return parts.runner.restartById(id);
  }

  /**
   * Upgrades a loaded module to the version its directory holds now (docs/lifecycle.md): admitted
   * as a whole (signatures, threshold, pins, ratchet, capabilities ∩ policy) into the store, the
   * running launch stopped, the new one launched; if it does not reach STARTED within its connect
   * deadline and 10 s more, it is stopped and the previous copy started again (ROLLED_BACK, with
   * why). The ratchet records the new version only once it reached STARTED. A refused version
   * leaves the module untouched (REFUSED). Upgrades run one at a time.
   *
   * @throws IllegalArgumentException when no module of that name is loaded
   * @throws IllegalStateException when it is stopping, or another upgrade runs
   */
  public ModuleUpgrade upgradeModule(String id) throws InterruptedException {
    ensureOpen();
    return parts.upgrade(id);
  }

  /**
   * Rolls a loaded module back to the version that ran before its last upgrade (docs/lifecycle.md,
   * "Rollback on request"); dependents as for {@link #upgradeModule}; exceptions as there.
   */
  public ModuleRollback rollbackModule(String id) throws InterruptedException {
    ensureOpen();
    parts.cascade.stopDependents(id, "stopped: its dependency " + id + " is rolled back");
    try {
      ModuleRollback done = parts.rollbacker.rollback(id);
      if (done.outcome() == ModuleRollback.Outcome.ROLLED_BACK) {
        parts.modules.get(id).ifPresent(m -> parts.autoUpgrader.rolledBack(id, m.moduleDir()));
      }
      return done;
    } finally {
      parts.cascade.resume(id); // a refused rollback: it kept running
    }
  }

  /**
   * Stops a module gracefully (stop message, grace period, SIGTERM, SIGKILL) and waits for it (and
   * for the state listeners to be told of its final state, whichever thread set it). The running
   * modules that require it are stopped first, and started again once it is STARTED again
   * (docs/lifecycle.md, "Dependencies"); the same holds for {@link #restartModule}, {@link
   * #unloadModule} and {@link #upgradeModule}, and, after the fact, for a module that fails.
   */
  public ModuleStatus stopModule(String id) {
    parts.cascade.stopDependents(id, "stopped: its dependency " + id + " was stopped");
    return parts.runner.stop(id);
  }

  /**
   * Stops the module if needed and forgets it; its data directory stays. A module refused at
   * admission is forgotten too. The modules that require it are stopped first.
   *
   * @throws IllegalArgumentException when no module of that name is known
   */
  public void unloadModule(String id) {
    parts.cascade.stopDependents(id, "stopped: its dependency " + id + " was unloaded");
    parts.runner.unload(id);
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
    return parts.runner.policies().reload(Objects.requireNonNull(policy, "policy"));
  }

  /** The policy in force (the builder's admission's, or the last one reloaded). */
  public Policy policy() {
    return parts.discovery.admission().policy();
  }

  /**
   * Registers a listener told of every state change of every module, from now on (register before
   * {@link #start()} to see every change). See {@link ModuleStateListener} for the thread it runs
   * on.
   */
  public void addStateListener(ModuleStateListener listener) {
    parts.history.addListener(Objects.requireNonNull(listener, "listener"));
  }

  public void removeStateListener(ModuleStateListener listener) {
    parts.history.removeListener(listener);
  }

  /**
   * Waits until the module reaches {@code state} and the state listeners were told of it.
   *
   * @return false when the deadline passed or the module ended before reaching it
   */
  public boolean awaitState(String id, ModuleState state, Duration timeout)
      throws InterruptedException {
    return parts.modules.require(id).host().awaitState(state, timeout.toMillis());
  }

  /** Waits until every loaded module is STARTED; names the ones that are not. */
  public void awaitAllStarted(Duration timeout) throws InterruptedException, TimeoutException {
    parts.modules.awaitAllStarted(timeout);
  }

  /** How many times the module was restarted after failing. */
  public long restarts(String id) {
    return parts.restarts.restarts(id);
  }

  /** Stops every module (all at once, each with the grace period) and closes the manager. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    flushEvents(); // e.g. a NodeShutdown published just before: queued ahead of the stops
    closed = true;
    parts.close();
  }

  /** The JSON-lines file recording every permission decision. */
  public Path auditLog() {
    return parts.config.auditLog();
  }

  /** Whether the audit log is being written, and how many decisions it lost or dropped. */
  public AuditStatus auditStatus() {
    return parts.audit.status();
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
    return parts.dataUsage.usage(id);
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
    return parts.publish(type, payload);
  }

  /**
   * Returns once every event published before the call has been queued for its subscribers (it runs
   * the pending fan-outs on the calling thread if need be).
   */
  public void flushEvents() {
    parts.relay.flush();
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
    return parts.reloadConfig();
  }

  /** The outcome of the last load or reload of the node config; empty without a node config. */
  public Optional<ConfigReload> configStatus() {
    return parts.configStatus();
  }

  /** Why the last reload was refused, or empty when it was applied (or there is none). */
  public Optional<String> lastConfigError() {
    return parts.lastConfigError();
  }

  // ------------------------------------------------------------------ views

  public Optional<ModuleStatus> status(String id) {
    return parts.modules.status(id);
  }

  /** Every module the manager knows, loaded or refused, by name. */
  public List<ModuleStatus> statuses() {
    return parts.modules.statuses();
  }

  /**
   * What the loader measured for every module it knows, and the audit log's condition, now. Reads
   * counters without stopping any module and {@code /proc} for each running sandbox (bounded work:
   * docs/metrics.md); a module's traffic never waits for it.
   */
  public LoaderMetrics metrics() {
    return parts.views.metrics();
  }

  /** Everything known about module {@code id} now; empty when no module of that name is known. */
  public Optional<ModuleSnapshot> snapshot(String id) {
    return parts.views.snapshot(id);
  }

  /**
   * The modules {@code id} depends on and the loaded modules that depend on it, with their states
   * now; empty lists for a module the manager does not know.
   */
  public ModuleDependencies dependencies(String id) {
    return ModuleDependencies.of(parts.modules, id);
  }

  /** {@link #snapshot} of every module the manager knows, by name. */
  public List<ModuleSnapshot> snapshots() {
    return parts.views.snapshots();
  }

  /**
   * The file the module's process writes its stdout and stderr to ({@code <runtime>/<id>.out.log});
   * it may not exist yet.
   */
  public Path outputLog(String id) {
    return ModuleLaunchSpecs.outputLog(parts.config, id);
  }

  /**
   * The security exposure of a loaded module (docs/security-score.md): what it is granted now (a
   * policy reload may have narrowed what admission granted), what its policy sets, and how this
   * manager's launcher confines it. Empty for a module that was refused at admission.
   */
  public Optional<ExposureReport> exposure(String id) {
    return parts.views.exposure(id);
  }

  /** The series the module reported with {@code report_metric} in its current launch. */
  public List<ReportedMetric> reportedMetrics(String id) {
    return parts.modules.require(id).session().reportedMetrics();
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
    return parts.views.counters(id);
  }

  /** The socket a module connects to (for diagnostics and tests). */
  public Path socketPath(String id) {
    return parts.modules.require(id).socketPath();
  }

  /** The loaded module {@code id} (for tests). */
  Optional<LoadedModule> module(String id) {
    return parts.modules.get(id);
  }

  EventRelay eventRelay() {
    return parts.relay;
  }

  RestartPolicy restartPolicy() {
    return parts.restarts;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("module manager is closed");
    }
  }
}
