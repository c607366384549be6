package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.RestartRule;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Limits;
import org.blvm.protocol.SharedEvent;

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
 * and never affects the others. All methods are thread-safe; {@link #publish} never blocks.
 */
public final class ModuleManager implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final LoaderConfig config;
  private final ModuleLauncher launcher;
  private final Admission admission;
  private final Codec codec;
  private final Dispatcher dispatcher;
  private final AuditLog audit;
  private final ModuleEventListener eventListener;
  private final ModuleLogListener logListener;
  private final SecureRandom random;
  private final Map<String, ModuleSlot> slots = new ConcurrentSkipListMap<>();
  private final Map<String, ModuleStatus> refused = new ConcurrentSkipListMap<>();
  private final Map<String, java.util.ArrayDeque<Long>> restartTimes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> restartCounts = new ConcurrentHashMap<>();
  private final ScheduledExecutorService restarter =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "blvm-restart");
            t.setDaemon(true);
            return t;
          });
  private final ConfigReloader configReloader;

  /**
   * Relays node events to their subscribers and wakes writers, so that {@link #publish} does no
   * per-subscriber work and makes no wake-up call (docs/concurrency.md, "Event relay").
   */
  private final EventWaker eventWaker;

  private volatile boolean closed;

  private ModuleManager(Builder b, LoaderConfig config) {
    this.config = config;
    this.launcher = b.launcher;
    this.admission = b.admission;
    this.codec = new Codec(b.limits);
    this.audit =
        new AuditLog(
            config.auditLog(), b.auditMaxBytes, b.auditKeep, 65_536, java.time.Clock.systemUTC());
    this.dispatcher = new Dispatcher(this, b.backend, codec, audit);
    this.eventListener = b.eventListener;
    this.logListener = b.logListener;
    this.random = b.random;
    this.configReloader =
        b.nodeConfig == null
            ? null
            : new ConfigReloader(
                this,
                codec,
                b.nodeConfig,
                b.watchNodeConfig,
                b.reloadConfigOnSighup,
                b.nodeConfigDebounce,
                java.time.Clock.systemUTC());
    this.eventWaker = new EventWaker("blvm-event-waker");
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Discovers every module directory and starts each module. A module that cannot start is reported
   * FAILED in the returned statuses; the others start regardless.
   *
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
          problems.size(),
          String.join("\n", problems));
    }
    LoaderRoots.prepare(config, launcher);
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(config.modulesDir())) {
      for (Path d : ds) {
        if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
          dirs.add(d);
        }
      }
    }
    dirs.sort(null);
    if (dirs.size() > config.maxModules()) {
      throw new IOException(
          config.modulesDir()
              + " holds "
              + dirs.size()
              + " module directories; at most "
              + config.maxModules()
              + " are allowed");
    }
    for (Path dir : dirs) {
      startModule(dir);
    }
    return statuses();
  }

  /** Loads and starts the module in {@code dir} (a directory holding module.toml). */
  public ModuleStatus startModule(Path dir) {
    ensureOpen();
    String dirName = dir.getFileName().toString();
    AdmittedModule admitted;
    try {
      admitted = admission.admit(dir);
    } catch (AdmissionException e) {
      LOG.log(System.Logger.Level.WARNING, "module {0} refused: {1}", dirName, e.getMessage());
      ModuleStatus s =
          new ModuleStatus(
              dirName, null, ModuleState.FAILED, java.util.OptionalLong.empty(), e.getMessage());
      refused.put(dirName, s);
      return s;
    }
    ModuleManifest manifest = admitted.manifest();
    if (!admitted.droppedCapabilities().isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: capabilities not allowed by the policy were dropped: {1}",
          dirName,
          admitted.droppedCapabilities());
    }
    if (admitted.unsigned()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0} runs UNSIGNED: the policy allows it for this module (development only)",
          dirName);
    }
    byte[] token =
        HexFormat.of()
            .formatHex(randomBytes(32))
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    ModuleSlot slot = new ModuleSlot(this, admitted, dir, config, codec, token);
    ModuleSlot previous = slots.putIfAbsent(manifest.name(), slot);
    if (previous != null) {
      throw new IllegalStateException("module " + manifest.name() + " is already loaded");
    }
    refused.remove(dirName);
    try {
      slot.start(launcher);
      publishCore(
          EventType.ModuleLoaded,
          new EventPayloads.ModuleLoaded(manifest.name(), manifest.version()));
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING, "module {0} failed to start: {1}", dirName, e.toString());
      slot.transition(ModuleState.FAILED, "launch failed: " + e.getMessage(), ModuleState.LOADED);
      slot.closeEndpoints("launch failed");
    }
    return slot.status();
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** Stops a module gracefully (stop message, grace period, SIGTERM, SIGKILL) and waits for it. */
  public ModuleStatus stopModule(String id) {
    ModuleSlot slot = requireSlot(id);
    flushEvents(); // events published before the stop are queued before it
    slot.stop(config.stopGraceMs());
    return slot.status();
  }

  /** Stops the module if needed and forgets it; its data directory stays. */
  public void unloadModule(String id) {
    ModuleSlot slot = requireSlot(id);
    flushEvents();
    slot.stop(config.stopGraceMs());
    slots.remove(id, slot);
    slot.markUnloaded();
    publishCore(EventType.ModuleUnloaded, new EventPayloads.ModuleUnloaded(id, "unloaded"));
  }

  /**
   * Waits until the module reaches {@code state}.
   *
   * @return false when the deadline passed or the module ended before reaching it
   */
  public boolean awaitState(String id, ModuleState state, Duration timeout)
      throws InterruptedException {
    return requireSlot(id).awaitState(state, timeout.toMillis());
  }

  /** Waits until every loaded module is STARTED; names the ones that are not. */
  public void awaitAllStarted(Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> late = new ArrayList<>();
    for (ModuleSlot s : slots.values()) {
      long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
      if (!s.awaitState(ModuleState.STARTED, left)) {
        ModuleStatus st = s.status();
        late.add(
            st.name() + " (" + st.state() + (st.detail() == null ? "" : ": " + st.detail()) + ")");
      }
    }
    if (!late.isEmpty()) {
      throw new TimeoutException("modules not started within " + timeout + ": " + late);
    }
  }

  // ------------------------------------------------------------------ restarts

  /**
   * Applies the module's restart rule after it failed while running (crash, lost connection,
   * disconnect on queue overflow): at most {@code max_restarts} within {@code window_seconds}, with
   * exponential backoff; {@code on_failure} does not restart a module that exited with status 0.
   * Runs on the thread that saw the failure and only schedules: never blocks.
   */
  void moduleFailed(ModuleSlot slot, Integer exitStatus) {
    RestartRule rule = slot.policy().restart();
    if (closed
        || rule.mode() == RestartRule.Mode.NEVER
        || (rule.mode() == RestartRule.Mode.ON_FAILURE && exitStatus != null && exitStatus == 0)) {
      return;
    }
    long now = System.nanoTime();
    long window = TimeUnit.SECONDS.toNanos(rule.windowSeconds());
    java.util.ArrayDeque<Long> times =
        restartTimes.computeIfAbsent(slot.id(), k -> new java.util.ArrayDeque<>());
    long delayMs;
    int attempt;
    synchronized (times) {
      while (!times.isEmpty() && now - times.peekFirst() > window) {
        times.pollFirst();
      }
      if (times.size() >= rule.maxRestarts()) {
        String why =
            "not restarted: "
                + times.size()
                + " restarts within "
                + rule.windowSeconds()
                + " s already (max_restarts)";
        LOG.log(System.Logger.Level.ERROR, "module {0} {1}", slot.id(), why);
        slot.appendDetail(why);
        return;
      }
      attempt = times.size() + 1;
      delayMs =
          Math.min(
              rule.backoffMaxMs(), (long) rule.backoffInitialMs() << Math.min(20, attempt - 1));
      times.addLast(now);
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "module {0} will be restarted in {1} ms (restart {2} of at most {3} in {4} s)",
        slot.id(),
        delayMs,
        attempt,
        rule.maxRestarts(),
        rule.windowSeconds());
    try {
      restarter.schedule(() -> restart(slot), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void restart(ModuleSlot old) {
    if (closed || slots.get(old.id()) != old || old.state() != ModuleState.FAILED) {
      return; // stopped, unloaded or replaced meanwhile
    }
    if (!old.awaitExit(5000)) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0} not restarted: its previous process has not ended",
          old.id());
      old.appendDetail("not restarted: the previous process did not end");
      return;
    }
    old.closeEndpoints("restarting");
    if (!slots.remove(old.id(), old)) {
      return;
    }
    restartCounts.computeIfAbsent(old.id(), k -> new AtomicLong()).incrementAndGet();
    // Admission runs again: a module whose signature or pin no longer checks out stays down.
    ModuleStatus s = startModule(old.moduleDir());
    LOG.log(System.Logger.Level.INFO, "module {0} restarted: {1}", old.id(), s.state());
  }

  /** How many times the module was restarted after failing. */
  public long restarts(String id) {
    AtomicLong n = restartCounts.get(id);
    return n == null ? 0 : n.get();
  }

  /** Stops every module (all at once, each with the grace period) and closes the manager. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    flushEvents(); // e.g. a NodeShutdown published just before: queued ahead of the stops
    closed = true;
    restarter.shutdownNow();
    try {
      // a restart already running finishes (or fails on the closed manager) before the slots are
      // stopped below, so no module is launched behind close()'s back
      if (!restarter.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.ERROR, "a module restart did not finish within 10 s of close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (configReloader != null) {
      configReloader.close();
    }
    List<Thread> stoppers = new ArrayList<>();
    for (ModuleSlot s : slots.values()) {
      Thread t = new Thread(() -> s.stop(config.stopGraceMs()), "blvm-" + s.id() + "-stop");
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    // after the modules stopped; an event published later is notified by its publisher
    eventWaker.close();
    audit.close();
  }

  EventWaker eventWaker() {
    return eventWaker;
  }

  /** The JSON-lines file recording every permission decision. */
  public Path auditLog() {
    return config.auditLog();
  }

  // ------------------------------------------------------------------ events

  /**
   * Publishes a node event to every subscribed module. The calling thread only checks the payload,
   * counts the subscribers and hands the event to the loader's {@code blvm-event-waker} thread,
   * which encodes it once and queues it for each of them, in publish order (docs/concurrency.md);
   * it never waits on a module, and does no per-subscriber work unless the node outpaces the relay
   * by more than {@code EventWaker.MAX_BACKLOG} events (then each call also runs the oldest queued
   * fan-out, which keeps the backlog bounded). Returns how many modules were connected and
   * subscribed when it was called: each of them gets the event unless it disconnects first or its
   * overflow rule drops it. {@link #flushEvents} waits until the events published so far have been
   * queued.
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
    int subscribers = 0;
    for (ModuleSlot s : slots.values()) {
      if (s.wouldDeliver(wire)) {
        subscribers++;
      }
    }
    eventWaker.relay(() -> fanOut(codec.encodeShared(wire, null, (Object) payload)));
    return subscribers;
  }

  /**
   * Returns once every event published before the call has been queued for its subscribers (it runs
   * the pending fan-outs on the calling thread if need be). For tests, and for a node that wants
   * its events queued before it goes on (for example before stopping a module).
   */
  public void flushEvents() {
    eventWaker.flush();
  }

  /** For events the manager itself raises (module lifecycle); relayed in order with node events. */
  void publishCore(EventType type, Record payload) {
    if (!closed || type == EventType.ModuleStateChanged || type == EventType.ModuleUnloaded) {
      eventWaker.relay(() -> fanOut(codec.encodeShared(type.wireName(), null, (Object) payload)));
    }
  }

  /** Fans out an event a module published (already encoded, with its stamped source). */
  int publishFromModule(SharedEvent event, String source, JsonNode payload) {
    int n = fanOut(event);
    try {
      eventListener.onModuleEvent(source, event.type(), payload);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "module event listener failed", e);
    }
    return n;
  }

  private int fanOut(SharedEvent event) {
    int n = 0;
    for (ModuleSlot s : slots.values()) {
      if (s.deliver(event)) {
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ node config

  /**
   * The admin call: re-reads the node config now and, if it is valid, sends each subscribed module
   * the sections visible to it that changed. A broken or missing file keeps the old config and
   * sends nothing; the result says why. Waits at most 10 s. See docs/config.md.
   *
   * @throws IllegalStateException when no {@link Builder#nodeConfig node config} was set or the
   *     manager was not started
   */
  public ConfigReload reloadConfig() {
    return requireConfig().reloadNow();
  }

  /** The outcome of the last load or reload of the node config; empty without a node config. */
  public Optional<ConfigReload> configStatus() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.last());
  }

  /** Why the last reload was refused, or empty when it was applied (or there is none). */
  public Optional<String> lastConfigError() {
    return Optional.ofNullable(configReloader == null ? null : configReloader.lastError());
  }

  private ConfigReloader requireConfig() {
    if (configReloader == null || configReloader.last() == null) {
      throw new IllegalStateException(
          configReloader == null
              ? "no node config file was set (Builder.nodeConfig)"
              : "the module manager was not started");
    }
    return configReloader;
  }

  /** The welcome's context config: manifest defaults, overlaid with the node config's section. */
  JsonNode contextConfig(ModuleSlot slot) {
    return configReloader == null ? slot.manifest().config() : configReloader.contextConfig(slot);
  }

  /** Called once a response was queued for a module (first ConfigLoaded after subscribing). */
  void afterResponse(ModuleSlot slot, org.blvm.protocol.Message.Request req, Reply resp) {
    if (resp.isError()) {
      return;
    }
    if (configReloader != null
        && org.blvm.protocol.NodeMethod.SUBSCRIBE_EVENTS.wireName().equals(req.method())) {
      configReloader.subscribed(slot);
    }
  }

  java.util.Collection<ModuleSlot> slotsForConfig() {
    return slots.values();
  }

  // ------------------------------------------------------------------ views

  public Optional<ModuleStatus> status(String id) {
    ModuleSlot s = slots.get(id);
    if (s != null) {
      return Optional.of(s.status());
    }
    return Optional.ofNullable(refused.get(id));
  }

  /** Every module the manager knows, loaded or refused, by name. */
  public List<ModuleStatus> statuses() {
    Map<String, ModuleStatus> all = new TreeMap<>(refused);
    slots.values().forEach(s -> all.put(s.id(), s.status()));
    return List.copyOf(all.values());
  }

  /** The last value of each metric the module reported. */
  public Map<String, Double> metrics(String id) {
    return requireSlot(id).metrics();
  }

  /** Requests refused for a missing capability, counted per module. */
  public long deniedCalls(String id) {
    return requireSlot(id).deniedCalls();
  }

  /** Requests refused because the module was over its rate limit. */
  public long rateLimitedCalls(String id) {
    return requireSlot(id).rateLimitedCalls();
  }

  /** Events dropped from the module's queue under the drop_oldest overflow rule. */
  public long droppedEvents(String id) {
    return requireSlot(id).droppedEvents();
  }

  /** Times the module was disconnected because its outgoing queue was full. */
  public long queueOverflows(String id) {
    return requireSlot(id).overflows();
  }

  /** Protocol violations seen from the module (each closed its connection). */
  public long protocolErrors(String id) {
    return requireSlot(id).protocolErrors();
  }

  /** The socket a module connects to (for diagnostics and tests). */
  public Path socketPath(String id) {
    return requireSlot(id).socketPath();
  }

  List<Api.ModuleInfo> moduleInfos() {
    List<Api.ModuleInfo> out = new ArrayList<>();
    for (ModuleSlot s : slots.values()) {
      out.add(
          new Api.ModuleInfo(s.id(), s.manifest().version(), s.state().name(), s.servedMethods()));
    }
    return out;
  }

  Optional<ModuleSlot> slot(String id) {
    return Optional.ofNullable(slots.get(id));
  }

  Dispatcher dispatcher() {
    return dispatcher;
  }

  ModuleLogListener logListener() {
    return logListener;
  }

  private ModuleSlot requireSlot(String id) {
    ModuleSlot s = slots.get(id);
    if (s == null) {
      throw new IllegalArgumentException("no loaded module \"" + id + "\"");
    }
    return s;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("module manager is closed");
    }
  }

  // ------------------------------------------------------------------ builder

  /** Configures a {@link ModuleManager}; validated by {@link #build()}. */
  public static final class Builder {
    private Path modulesDir;
    private Path runtimeDir;
    private Path dataDir;
    private NodeBackend backend = new NodeBackend() {};
    private ModuleLauncher launcher;
    private Admission admission;
    private Limits limits = Limits.DEFAULT;
    private Duration helloTimeout = Duration.ofSeconds(10);
    private Duration stopGrace = Duration.ofSeconds(5);
    private Duration callTimeout = Duration.ofSeconds(10);
    private int eventQueueFrames = 8192;
    private long eventQueueBytes = 64L << 20;
    private Duration writerLinger = Connection.WRITER_LINGER;
    private int maxPendingInvokes = 256;
    private int maxModules = 64;
    private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
    private int moduleHeapMb = LaunchDefaults.HEAP_MB;
    private ModuleEventListener eventListener = (source, type, payload) -> {};
    private ModuleLogListener logListener =
        (id, level, message) ->
            System.getLogger("blvm.module." + id).log(toSystemLevel(level), message);
    private SecureRandom random = new SecureRandom();
    private Path auditLog;
    private long auditMaxBytes = 16L << 20;
    private int auditKeep = 5;
    private org.blvm.sandbox.SandboxOptions sandboxOptions;
    private Set<String> unsandboxed = Set.of();
    private String javaProfile = LaunchDefaults.PROFILE;
    private String nativeProfile = LaunchDefaults.PROFILE;
    private org.blvm.sandbox.ResourceLimits javaLimits =
        org.blvm.sandbox.ResourceLimits.jvmDefaults();
    private org.blvm.sandbox.ResourceLimits nativeLimits =
        org.blvm.sandbox.ResourceLimits.nativeDefaults();
    private Path nodeConfig;
    private boolean watchNodeConfig = true;
    private boolean reloadConfigOnSighup;
    private Duration nodeConfigDebounce = Duration.ofMillis(200);

    private Builder() {}

    /**
     * The node's TOML config (optional). Read at {@link ModuleManager#start()}, where a missing or
     * invalid file is an error; re-read by {@link ModuleManager#reloadConfig()}, on file change
     * (see {@link #watchNodeConfig}) and on SIGHUP (see {@link #reloadConfigOnSighup}). Each module
     * sees only what its policy allows, as {@code ConfigLoaded} events and in its welcome's context
     * config. See docs/config.md.
     */
    public Builder nodeConfig(Path file) {
      this.nodeConfig = Objects.requireNonNull(file);
      return this;
    }

    /** Whether a change of the node config file triggers a reload (default true). */
    public Builder watchNodeConfig(boolean watch) {
      this.watchNodeConfig = watch;
      return this;
    }

    /**
     * Whether SIGHUP to this process reloads the node config (default false: an embedded library
     * should not take over a process-wide signal unasked). Replaces the JVM's default SIGHUP
     * action, which is to exit.
     */
    public Builder reloadConfigOnSighup(boolean reload) {
      this.reloadConfigOnSighup = reload;
      return this;
    }

    /** How long the config file must be quiet after a change before it is re-read (200 ms). */
    public Builder nodeConfigDebounce(Duration d) {
      this.nodeConfigDebounce = d;
      return this;
    }

    /**
     * Where every permission decision is appended as JSON lines (default: runtimeDir/audit.jsonl),
     * rotated at {@code maxBytes} keeping {@code keep} old files.
     */
    public Builder auditLog(Path file, long maxBytes, int keep) {
      this.auditLog = Objects.requireNonNull(file);
      this.auditMaxBytes = maxBytes;
      this.auditKeep = keep;
      return this;
    }

    /**
     * Runs every module in a bubblewrap sandbox (namespaces, seccomp profile, rlimits). This is the
     * default, with {@link org.blvm.sandbox.SandboxOptions#defaults()}. The sandbox is preflighted
     * at build time; if it cannot be built, no module starts (each is FAILED with the full list of
     * what is missing) — there is no silent fallback to running unsandboxed.
     */
    public Builder sandbox(org.blvm.sandbox.SandboxOptions options) {
      this.sandboxOptions = Objects.requireNonNull(options);
      return this;
    }

    /**
     * DEVELOPMENT ONLY: these modules run without the sandbox even when {@link #sandbox} is set.
     * Logged at ERROR level at build and at every launch.
     */
    public Builder unsandboxedForDevelopment(Set<String> moduleIds) {
      this.unsandboxed = Set.copyOf(moduleIds);
      return this;
    }

    /** seccomp profiles (names in native-profiles/) for JVM and native modules. */
    public Builder sandboxProfiles(String java, String nativeModules) {
      this.javaProfile = Objects.requireNonNull(java);
      this.nativeProfile = Objects.requireNonNull(nativeModules);
      return this;
    }

    /**
     * Kernel resource limits for JVM and native modules (default: {@code jvmDefaults()}, {@code
     * nativeDefaults()}); a JVM module's heap is {@link #moduleHeapMb}.
     */
    public Builder sandboxLimits(
        org.blvm.sandbox.ResourceLimits java, org.blvm.sandbox.ResourceLimits nativeModules) {
      this.javaLimits = Objects.requireNonNull(java);
      this.nativeLimits = Objects.requireNonNull(nativeModules);
      return this;
    }

    /** Where module directories are found (required). */
    public Builder modulesDir(Path dir) {
      this.modulesDir = dir;
      return this;
    }

    /**
     * The loader's runtime root: per-module socket directories (0700) and output logs (required;
     * keep the path short). Created when missing; an existing one must belong to the loader's user
     * and not be writable by group or others, in a parent nobody else can write (checked at {@link
     * ModuleManager#start()}, never changed).
     */
    public Builder runtimeDir(Path dir) {
      this.runtimeDir = dir;
      return this;
    }

    /**
     * The data root, where each module's writable data directory is made (default:
     * runtimeDir/data); checked like the runtime root.
     */
    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public Builder backend(NodeBackend backend) {
      this.backend = Objects.requireNonNull(backend);
      return this;
    }

    /**
     * Replaces the sandbox with another launcher, for example {@link
     * ModuleLauncher#plainProcesses()} in development and tests (which logs every unconfined launch
     * as a warning). Cannot be combined with {@link #sandbox}.
     */
    public Builder launcher(ModuleLauncher launcher) {
      this.launcher = Objects.requireNonNull(launcher);
      return this;
    }

    /**
     * Decides which modules may run and with what (required): signatures, pinned binary, version
     * ratchet, granted capabilities = declared ∩ allowed by the operator's policy. Modules run from
     * its content-addressed store.
     */
    public Builder admission(Admission admission) {
      this.admission = Objects.requireNonNull(admission);
      return this;
    }

    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits);
      return this;
    }

    /** How long a connection may take to say hello. */
    public Builder helloTimeout(Duration d) {
      this.helloTimeout = d;
      return this;
    }

    /** How long a module has to exit after the stop message before SIGTERM. */
    public Builder stopGrace(Duration d) {
      this.stopGrace = d;
      return this;
    }

    /** Deadline of a module-to-module call. */
    public Builder callTimeout(Duration d) {
      this.callTimeout = d;
      return this;
    }

    /** Bounds of each connection's outgoing queue; a module that lets it fill is disconnected. */
    public Builder eventQueue(int frames, long bytes) {
      this.eventQueueFrames = frames;
      this.eventQueueBytes = bytes;
      return this;
    }

    /** How long a connection's writer waits after a batch (tests only; see Connection). */
    Builder writerLinger(Duration d) {
      this.writerLinger = d;
      return this;
    }

    public Builder maxModules(int n) {
      this.maxModules = n;
      return this;
    }

    /** The java executable for runtime = "java" modules (default: this JVM's). */
    public Builder javaExecutable(Path java) {
      this.javaExecutable = java;
      return this;
    }

    public Builder moduleHeapMb(int mb) {
      this.moduleHeapMb = mb;
      return this;
    }

    public Builder onModuleEvent(ModuleEventListener l) {
      this.eventListener = Objects.requireNonNull(l);
      return this;
    }

    public Builder onModuleLog(ModuleLogListener l) {
      this.logListener = Objects.requireNonNull(l);
      return this;
    }

    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /** Validates every setting (all problems reported at once) and builds the manager. */
    public ModuleManager build() {
      List<String> problems = new ArrayList<>();
      if (modulesDir == null) {
        problems.add("modulesDir is required");
      }
      if (runtimeDir == null) {
        problems.add("runtimeDir is required");
      }
      if (admission == null) {
        problems.add("admission is required (the operator's policy decides what may run)");
      }
      positive(problems, "helloTimeout", helloTimeout);
      positive(problems, "stopGrace", stopGrace);
      positive(problems, "callTimeout", callTimeout);
      positive(problems, "nodeConfigDebounce", nodeConfigDebounce);
      if (eventQueueFrames < 16) {
        problems.add("eventQueue frames must be >= 16, found " + eventQueueFrames);
      }
      if (eventQueueBytes < limits.maxFrameBytes()) {
        problems.add(
            "eventQueue bytes must be >= the max frame size "
                + limits.maxFrameBytes()
                + ", found "
                + eventQueueBytes);
      }
      if (auditMaxBytes < 4096 || auditKeep < 1 || auditKeep > 100) {
        problems.add(
            "auditLog needs maxBytes >= 4096 and keep in 1..100, found "
                + auditMaxBytes
                + " and "
                + auditKeep);
      }
      if (maxModules < 1) {
        problems.add("maxModules must be >= 1, found " + maxModules);
      }
      if (moduleHeapMb < 16) {
        problems.add("moduleHeapMb must be >= 16, found " + moduleHeapMb);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid module manager settings: " + String.join("; ", problems));
      }
      Path runtime = runtimeDir.toAbsolutePath().normalize();
      LoaderConfig config =
          new LoaderConfig(
              modulesDir.toAbsolutePath().normalize(),
              runtime,
              dataDir == null ? runtime.resolve("data") : dataDir.toAbsolutePath().normalize(),
              helloTimeout.toMillis(),
              stopGrace.toMillis(),
              callTimeout.toMillis(),
              eventQueueFrames,
              eventQueueBytes,
              writerLinger.toNanos(),
              maxPendingInvokes,
              maxModules,
              javaExecutable,
              new LaunchDefaults(
                  javaProfile,
                  nativeProfile,
                  javaLimits,
                  nativeLimits,
                  moduleHeapMb,
                  LaunchDefaults.PROCESSORS),
              auditLog == null ? runtime.resolve("audit.jsonl") : auditLog.toAbsolutePath());
      if (launcher != null && sandboxOptions != null) {
        throw new IllegalArgumentException(
            "invalid module manager settings: both a sandbox and another launcher were set");
      }
      if (launcher == null) {
        if (sandboxOptions == null) {
          sandboxOptions = org.blvm.sandbox.SandboxOptions.defaults();
        }
        launcher = new SandboxLauncher(sandboxOptions, unsandboxed, config.dataDir());
      }
      return new ModuleManager(this, config);
    }

    private static void positive(List<String> problems, String name, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        problems.add(name + " must be positive, found " + d);
      }
    }

    private static System.Logger.Level toSystemLevel(org.blvm.protocol.Message.LogLevel l) {
      switch (l) {
        case TRACE:
          return System.Logger.Level.TRACE;
        case DEBUG:
          return System.Logger.Level.DEBUG;
        case INFO:
          return System.Logger.Level.INFO;
        case WARN:
          return System.Logger.Level.WARNING;
        default:
          return System.Logger.Level.ERROR;
      }
    }
  }
}
