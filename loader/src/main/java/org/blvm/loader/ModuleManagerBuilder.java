package org.blvm.loader;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.blvm.policy.Admission;
import org.blvm.policy.ModuleManifest;
import org.blvm.protocol.Limits;
import org.blvm.sandbox.ResourceLimits;
import org.blvm.sandbox.SandboxOptions;

/**
 * Configures a {@link ModuleManager}; {@link #build()} validates every setting (all problems
 * reported at once) and seals them. Obtained as {@link ModuleManager#builder()}, typed {@link
 * ModuleManager.Builder}; the type parameter only lets every setter return that type. The checks
 * and the assembly of the {@link LoaderConfig} are {@link ManagerSettings}'s.
 */
public abstract class ModuleManagerBuilder<B extends ModuleManagerBuilder<B>> {
  /**
   * How long a connection's writer waits after a batch, so that events queued meanwhile go out
   * together; a response, invoke or close queued meanwhile ends the wait (docs/concurrency.md).
   */
  static final Duration WRITER_LINGER = Duration.ofNanos(500_000);

  Path modulesDir;
  Path runtimeDir;
  Path dataDir;
  NodeBackend backend = new NodeBackend() {};
  ModuleLauncher launcher;
  Admission admission;
  Limits limits = Limits.DEFAULT;
  Duration helloTimeout = Duration.ofSeconds(10);
  Duration stopGrace = Duration.ofSeconds(5);
  Duration callTimeout = Duration.ofSeconds(10);
  int eventQueueFrames = 8192;
  long eventQueueBytes = 64L << 20;
  Duration writerLinger = WRITER_LINGER;
  int maxPendingInvokes = 256;
  int maxModules = 64;
  int maxBadConnectionsPerMinute = BadConnections.DEFAULT_LIMIT_PER_MINUTE;
  Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
  Map<ModuleManifest.Runtime, Path> interpreters = new EnumMap<>(ModuleManifest.Runtime.class);
  int moduleHeapMb = LaunchDefaults.HEAP_MB;
  int dataMb = LaunchDefaults.DATA_MB;
  int dataFiles = LaunchDefaults.DATA_FILES;
  Duration dataUsageInterval = Duration.ofSeconds(5);
  int dataUsageBudget = 10_000;
  ModuleEventListener eventListener = (source, type, payload) -> {};
  ModuleLogListener logListener =
      (id, level, message) ->
          System.getLogger("blvm.module." + id).log(ManagerSettings.systemLevel(level), message);
  SecureRandom random = new SecureRandom();
  Path auditLog;
  long auditMaxBytes = 16L << 20;
  int auditKeep = 5;
  SandboxOptions sandboxOptions;
  Set<String> unsandboxed = Set.of();
  String javaProfile = LaunchDefaults.PROFILE;
  String nativeProfile = LaunchDefaults.PROFILE;
  ResourceLimits javaLimits = ResourceLimits.jvmDefaults();
  ResourceLimits nativeLimits = ResourceLimits.nativeDefaults();
  Path nodeConfig;
  boolean watchNodeConfig = true;
  boolean reloadConfigOnSighup;
  Duration nodeConfigDebounce = Duration.ofMillis(200);
  Ticker ticker = Ticker.system();
  Clock clock = Clock.systemUTC();
  NetworkBroker.Resolver networkResolver = NetworkBroker.Resolver.system();
  Duration resolveTimeout = Duration.ofSeconds(5);
  Duration connectTimeout = Duration.ofSeconds(10);

  ModuleManagerBuilder() {}

  /** This builder, typed as the caller holds it. */
  abstract B self();

  /**
   * The node's TOML config (optional). Read at {@link ModuleManager#start()}, where a missing or
   * invalid file is an error; re-read by {@link ModuleManager#reloadConfig()}, on file change (see
   * {@link #watchNodeConfig}) and on SIGHUP (see {@link #reloadConfigOnSighup}). Each module sees
   * only what its policy allows, as {@code ConfigLoaded} events and in its welcome's context
   * config. See docs/config.md.
   */
  public B nodeConfig(Path file) {
    this.nodeConfig = Objects.requireNonNull(file);
    return self();
  }

  /** Whether a change of the node config file triggers a reload (default true). */
  public B watchNodeConfig(boolean watch) {
    this.watchNodeConfig = watch;
    return self();
  }

  /**
   * Whether SIGHUP to this process reloads the node config (default false: an embedded library
   * should not take over a process-wide signal unasked). Replaces the JVM's default SIGHUP action,
   * which is to exit.
   */
  public B reloadConfigOnSighup(boolean reload) {
    this.reloadConfigOnSighup = reload;
    return self();
  }

  /** How long the config file must be quiet after a change before it is re-read (200 ms). */
  public B nodeConfigDebounce(Duration d) {
    this.nodeConfigDebounce = d;
    return self();
  }

  /**
   * Where every permission decision is appended as JSON lines (default: runtimeDir/audit.jsonl),
   * rotated at {@code maxBytes} keeping {@code keep} old files.
   */
  public B auditLog(Path file, long maxBytes, int keep) {
    this.auditLog = Objects.requireNonNull(file);
    this.auditMaxBytes = maxBytes;
    this.auditKeep = keep;
    return self();
  }

  /**
   * Runs every module in a bubblewrap sandbox (namespaces, seccomp profile, rlimits). This is the
   * default, with {@link SandboxOptions#defaults()}. The sandbox is preflighted at build time; if
   * it cannot be built, no module starts (each is FAILED with the full list of what is missing) —
   * there is no silent fallback to running unsandboxed.
   */
  public B sandbox(SandboxOptions options) {
    this.sandboxOptions = Objects.requireNonNull(options);
    return self();
  }

  /**
   * DEVELOPMENT ONLY: these modules run without the sandbox even when {@link #sandbox} is set.
   * Logged at ERROR level at build and at every launch.
   */
  public B unsandboxedForDevelopment(Set<String> moduleIds) {
    this.unsandboxed = Set.copyOf(moduleIds);
    return self();
  }

  /** seccomp profiles (names in native-profiles/) for JVM and native modules. */
  public B sandboxProfiles(String java, String nativeModules) {
    this.javaProfile = Objects.requireNonNull(java);
    this.nativeProfile = Objects.requireNonNull(nativeModules);
    return self();
  }

  /**
   * Kernel resource limits for JVM and native modules (default: {@code jvmDefaults()}, {@code
   * nativeDefaults()}); a JVM module's heap is {@link #moduleHeapMb}.
   */
  public B sandboxLimits(ResourceLimits java, ResourceLimits nativeModules) {
    this.javaLimits = Objects.requireNonNull(java);
    this.nativeLimits = Objects.requireNonNull(nativeModules);
    return self();
  }

  /** Where module directories are found (required). */
  public B modulesDir(Path dir) {
    this.modulesDir = dir;
    return self();
  }

  /**
   * The loader's runtime root: per-module socket directories (0700) and output logs (required; keep
   * the path short). Created when missing; an existing one must belong to the loader's user and not
   * be writable by group or others, in a parent nobody else can write (checked at {@link
   * ModuleManager#start()}, never changed).
   */
  public B runtimeDir(Path dir) {
    this.runtimeDir = dir;
    return self();
  }

  /**
   * The data root, where each module's writable data directory is made (default: runtimeDir/data);
   * checked like the runtime root.
   */
  public B dataDir(Path dir) {
    this.dataDir = dir;
    return self();
  }

  public B backend(NodeBackend backend) {
    this.backend = Objects.requireNonNull(backend);
    return self();
  }

  /**
   * Replaces the sandbox with another launcher, for example {@link ModuleLauncher#plainProcesses()}
   * in development and tests (which logs every unconfined launch as a warning). Cannot be combined
   * with {@link #sandbox}.
   */
  public B launcher(ModuleLauncher launcher) {
    this.launcher = Objects.requireNonNull(launcher);
    return self();
  }

  /**
   * Decides which modules may run and with what (required): signatures, pinned binary, version
   * ratchet, granted capabilities = declared ∩ allowed by the operator's policy. Modules run from
   * its content-addressed store.
   */
  public B admission(Admission admission) {
    this.admission = Objects.requireNonNull(admission);
    return self();
  }

  public B limits(Limits limits) {
    this.limits = Objects.requireNonNull(limits);
    return self();
  }

  /** How long a connection may take to say hello. */
  public B helloTimeout(Duration d) {
    this.helloTimeout = d;
    return self();
  }

  /** How long a module has to exit after the stop message before SIGTERM. */
  public B stopGrace(Duration d) {
    this.stopGrace = d;
    return self();
  }

  /** Deadline of a module-to-module call. */
  public B callTimeout(Duration d) {
    this.callTimeout = d;
    return self();
  }

  /** Bounds of each connection's outgoing queue; a module that lets it fill is disconnected. */
  public B eventQueue(int frames, long bytes) {
    this.eventQueueFrames = frames;
    this.eventQueueBytes = bytes;
    return self();
  }

  /** Elapsed time for rate limits, restart windows and debounce (tests only). */
  B ticker(Ticker t) {
    this.ticker = Objects.requireNonNull(t);
    return self();
  }

  /** Wall-clock time for audit lines and reload records (tests only). */
  B clock(Clock c) {
    this.clock = Objects.requireNonNull(c);
    return self();
  }

  /**
   * How long the network broker waits for a name to resolve (5 s) and for a TCP connect (10 s)
   * before it answers {@code TIMEOUT}.
   */
  public B networkTimeouts(Duration resolve, Duration connect) {
    this.resolveTimeout = resolve;
    this.connectTimeout = connect;
    return self();
  }

  /** The broker's name resolution (tests only; the system resolver otherwise). */
  B networkResolver(NetworkBroker.Resolver r) {
    this.networkResolver = Objects.requireNonNull(r);
    return self();
  }

  /** How long a connection's writer waits after a batch (tests only; see WRITER_LINGER). */
  B writerLinger(Duration d) {
    this.writerLinger = d;
    return self();
  }

  /**
   * How many bad connections (refused connects, protocol violations before the handshake) one
   * module may cause within a minute; one more and it is FAILED as misbehaving and its restart rule
   * applies (default 20).
   */
  public B maxBadConnectionsPerMinute(int n) {
    this.maxBadConnectionsPerMinute = n;
    return self();
  }

  public B maxModules(int n) {
    this.maxModules = n;
    return self();
  }

  /** The java executable for runtime = "java" modules (default: this JVM's). */
  public B javaExecutable(Path java) {
    this.javaExecutable = java;
    return self();
  }

  /**
   * A module data directory's bounds where the policy writes none: its total allocated size in MiB
   * ({@code data_mb}, default 1024) and how many entries it may hold ({@code data_files}, default
   * 100000). A module found over either is stopped, and not restarted (docs/policy.md).
   */
  public B dataLimits(int mb, int files) {
    this.dataMb = mb;
    this.dataFiles = files;
    return self();
  }

  /**
   * How module data directories are measured: every {@code interval} (default 5 s), at most {@code
   * entriesPerPass} entries of each per pass (default 10000; a larger tree takes several passes).
   * The interval bounds how far a module can write past its {@code data_mb} (docs/policy.md).
   */
  public B dataUsage(Duration interval, int entriesPerPass) {
    this.dataUsageInterval = interval;
    this.dataUsageBudget = entriesPerPass;
    return self();
  }

  /**
   * The interpreter that runs modules of an interpreted runtime ({@code "python3"}, default {@code
   * /usr/bin/python3}; {@code "node"}, default {@code /usr/bin/node}): an absolute path, never
   * looked up on PATH. At the first launch that needs it the loader resolves it to its real file
   * and (CPython) asks it once for its standard library; a sandbox binds exactly those, read-only.
   * A missing interpreter fails only the modules that need it, naming it.
   *
   * @throws IllegalArgumentException when {@code runtime} is not an interpreted runtime
   */
  public B interpreter(String runtime, Path executable) {
    ModuleManifest.Runtime r =
        ModuleManifest.Runtime.fromWire(runtime)
            .filter(ModuleManifest.Runtime::interpreted)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "interpreter: \""
                            + runtime
                            + "\" is not an interpreted runtime"
                            + " (python3, node)"));
    this.interpreters.put(r, Objects.requireNonNull(executable));
    return self();
  }

  public B moduleHeapMb(int mb) {
    this.moduleHeapMb = mb;
    return self();
  }

  public B onModuleEvent(ModuleEventListener l) {
    this.eventListener = Objects.requireNonNull(l);
    return self();
  }

  public B onModuleLog(ModuleLogListener l) {
    this.logListener = Objects.requireNonNull(l);
    return self();
  }

  public B random(SecureRandom random) {
    this.random = Objects.requireNonNull(random);
    return self();
  }

  /** Validates every setting (all problems reported at once) and builds the manager. */
  public ModuleManager build() {
    List<String> problems = ManagerSettings.problems(this);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid module manager settings: " + String.join("; ", problems));
    }
    LoaderConfig config = ManagerSettings.config(this);
    if (launcher != null && sandboxOptions != null) {
      throw new IllegalArgumentException(
          "invalid module manager settings: both a sandbox and another launcher were set");
    }
    if (launcher == null) {
      if (sandboxOptions == null) {
        sandboxOptions = SandboxOptions.defaults();
      }
      launcher = new SandboxLauncher(sandboxOptions, unsandboxed, config.dataDir());
    }
    return new ModuleManager(this, config);
  }
}
