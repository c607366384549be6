package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.blvm.policy.AdmittedModule;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;

/**
 * One launch of one module: it ties the module's state machine ({@link ModuleHost}), its {@link
 * Endpoint}, {@link Handshake} and {@link Session} to its process: the launch, the connect
 * deadline, the process's exit, failure and the graceful stop. The connection side (the endpoint's
 * gate, the current {@link Connection} and its {@link ConnectionListener}) is its {@link
 * ModuleConnection}'s. It reports up only through its {@link Listener}. Its monitor guards the
 * process; it is never held across I/O or a call into another module.
 *
 * <p>Over 400 lines: the launch, exit, failure and stop of one process share its state transitions
 * and must be read together.
 */
final class LoadedModule implements Session.Progress {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");

  /** How long a stop waits for another thread still telling the listeners of the final state. */
  static final long TOLD_WAIT_MS = 1000;

  /** What a module reports to whoever runs it (the manager). */
  interface Listener extends ModuleHost.Listener {
    /** The module failed while running; the restart rule applies. Never blocks. */
    void failed(LoadedModule m, Integer exitStatus);

    /** The process ended on its own while the module ran. */
    void crashed(LoadedModule m, Integer exitStatus);

    /** The config the welcome carries. */
    JsonNode contextConfig(Session s);

    /** A log line the module sent. */
    void log(String moduleId, Message.Log line);
  }

  /**
   * What every module of a manager shares.
   *
   * @param timer runs each launch's connect deadline (thread {@code blvm-timer})
   */
  record Services(
      LoaderConfig config,
      Codec codec,
      Dispatcher dispatcher,
      EventRelay relay,
      Ticker ticker,
      Listener listener,
      ScheduledExecutorService timer) {}

  private final Services services;
  private final String id;
  private final AdmittedModule admitted;
  private final Path moduleDir;
  private final Path dataDir;
  private final Path socketDir;
  private final ModuleHost host;
  private final Endpoint endpoint;
  private final Handshake handshake;
  private final Session session;
  private final ModuleCounters counters;

  /** When the process was launched ({@link Ticker} nanos), or 0 before. */
  private volatile long launchedAtNanos;

  @GuardedBy("this")
  private LaunchedProcess process;

  private final ModuleConnection link;

  /** The sandbox profile and kernel limits of this launch, once decided (status views). */
  private volatile LaunchSpec.Confinement confinement;

  /** Why the module is being stopped, when the stop gave a reason (kept in the final detail). */
  private volatile String stopReason;

  /**
   * @param counters the module's counters, kept across its launches
   */
  LoadedModule(
      Services services,
      AdmittedModule admitted,
      Path moduleDir,
      byte[] token,
      ModuleCounters counters) {
    this.services = services;
    this.counters = counters;
    this.admitted = admitted;
    this.id = admitted.manifest().name();
    this.moduleDir = moduleDir;
    this.socketDir = services.config().runtimeDir().resolve(id);
    this.dataDir = services.config().dataDir().resolve(id);
    this.host = new ModuleHost(id, admitted.manifest().version(), services.listener());
    Ticker ticker = services.ticker();
    System.Logger refusals = System.getLogger("blvm.loader.module");
    this.endpoint =
        new Endpoint(
            id,
            socketDir,
            services.codec(),
            services.config().helloTimeoutMs(),
            new BadConnections(
                id, refusals, services.config().maxBadConnectionsPerMinute(), ticker),
            new BadConnections(id, refusals, Integer.MAX_VALUE, ticker));
    this.handshake = new Handshake(id, token);
    this.session = new Session(admitted, services.ticker(), this, counters);
    this.link = new ModuleConnection(this, services, endpoint, handshake, session, counters);
  }

  String id() {
    return id;
  }

  ModuleHost host() {
    return host;
  }

  Session session() {
    return session;
  }

  Path moduleDir() {
    return moduleDir;
  }

  /** What admission decided for this launch (the policy reload checks it again). */
  AdmittedModule admitted() {
    return admitted;
  }

  /** The profile and limits this launch runs under; null before its launch was prepared. */
  LaunchSpec.Confinement confinement() {
    return confinement;
  }

  /** The host directory of the module's data. */
  Path dataDir() {
    return dataDir;
  }

  Path socketPath() {
    return endpoint.socketPath();
  }

  /** The current connection; null before the first one. */
  Connection connection() {
    return link.current();
  }

  /** The launched process; null before the launch. */
  synchronized LaunchedProcess process() {
    return process;
  }

  /**
   * What the loader measured of this module now; reads {@code /proc} for its process (bounded work,
   * no lock of the module's threads held).
   */
  ModuleMetrics metrics(long restarts, ProcessTree proc) {
    ModuleState state = host.state();
    LaunchedProcess p = process();
    Connection c = connection();
    boolean running = state.isLive() && p != null;
    long since = launchedAtNanos;
    double uptime =
        running && since != 0 ? (services.ticker().nanoTime() - since) / 1_000_000_000.0 : 0;
    return new ModuleMetrics(
        id,
        state,
        restarts,
        Math.max(0, uptime),
        counters.calls(),
        counters.denials(),
        counters.rateLimitedCalls(),
        counters.eventsSent(),
        counters.eventsDropped(),
        counters.overflows(),
        c == null || !c.isOpen() ? 0 : c.queuedFrames(),
        counters.bytesIn(),
        counters.bytesOut(),
        counters.protocolErrors(),
        running ? proc.usage(p.pid()) : java.util.Optional.empty(),
        session.reportedMetrics());
  }

  /** The socket's path as the module sees it (inside its sandbox), for the welcome. */
  synchronized String moduleSocketPath() {
    return process == null ? socketPath().toString() : process.moduleSocketPath();
  }

  // ------------------------------------------------------------------ start

  /**
   * Creates the private directories, binds the socket and the policy's listening addresses, and
   * launches the process.
   */
  void start(ModuleLauncher launcher) throws IOException {
    LaunchTimeline timeline = new LaunchTimeline(id);
    PrivateDirs.create(socketDir);
    PrivateDirs.create(dataDir);
    endpoint.bind();
    session.network().bindListeners();
    timeline.mark("dirs");
    java.util.Optional<Path> archive =
        admitted.manifest().runtime() == org.blvm.policy.ModuleManifest.Runtime.JAVA
            ? launcher.classDataArchive(
                id, services.config().javaExecutable(), admitted.binaryPath())
            : java.util.Optional.empty();
    if (admitted.manifest().runtime() == org.blvm.policy.ModuleManifest.Runtime.JAVA) {
      timeline.checkArchive(pid -> launcher.classDataLaunchEnded(id, archive, pid));
    }
    LaunchSpec spec =
        ModuleLaunchSpecs.of(
            id,
            admitted,
            session.granted(),
            session.policy(),
            services.config(),
            dataDir,
            socketDir,
            handshake.token(),
            archive);
    confinement = spec.confinement();
    timeline.mark("spec");
    LaunchedProcess p = launcher.launch(spec);
    timeline.launched(p.launchSteps(), p.processesSpawned());
    timeline.mark("launched");
    synchronized (this) {
      process = p;
    }
    launchedAtNanos = Math.max(1, services.ticker().nanoTime());
    host.launched(p.pid());
    timeline.mark("accepting");
    // The socket is already listening, so an early connect waits in the backlog; accepting only
    // starts once the process is known, so the peer check never sees a half-started module.
    endpoint.startAccepting(p::isPeer, link, timeline);
    p.onExit().thenAccept(this::processExited);
    int deadline = session.policy().connectTimeoutSeconds();
    try {
      services.timer().schedule(() -> connectDeadline(deadline), deadline, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      // the manager is closing: it stops the module
    }
    LOG.log(
        System.Logger.Level.INFO,
        "module {0} {1} launched, pid {2}",
        id,
        admitted.manifest().version(),
        Long.toString(p.pid()));
  }

  // ------------------------------------------------------------------ session progress, connection

  @Override
  public void subscribed() {
    host.transition(ModuleState.SUBSCRIBED, null, ModuleState.INITIALIZED);
  }

  @Override
  public void ready() {
    host.transition(ModuleState.STARTED, null, ModuleState.INITIALIZED, ModuleState.SUBSCRIBED);
  }

  /** Whether an event of this type would be delivered now: connected and subscribed. */
  boolean wouldDeliver(String type) {
    return link.wouldDeliver(type);
  }

  /** Delivers an event if this module is connected and subscribed. */
  boolean deliver(SharedEvent event) {
    return link.deliver(event);
  }

  /** Tells the module {@code n} events were dropped before they could be queued for it. */
  void skipEvents(long n) {
    link.skipEvents(n);
  }

  /** Invokes a method the module serves (call_module, lifecycle). */
  CompletableFuture<Message.Response> invoke(String method, JsonNode params, String caller) {
    return link.invoke(method, params, caller);
  }

  // ------------------------------------------------------------------ ending

  /**
   * The launch's connect deadline: a module still not authenticated is FAILED, its process ended,
   * and the restart rule applies. A module that already connected, or ended, is left alone.
   */
  private void connectDeadline(int seconds) {
    String why = "did not connect within " + seconds + " s";
    if (!host.transition(ModuleState.FAILED, why, ModuleState.LOADED)) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "module {0} failed: {1}", id, why);
    killProcess();
    services.listener().failed(this, null);
  }

  private void processExited(Integer status) {
    String why = "process exited with status " + status;
    if (host.state().isLive()) {
      LaunchedProcess p;
      synchronized (this) {
        p = process;
      }
      String output = p == null ? "" : p.lastOutput();
      // the module's own last lines (e.g. bwrap's message for a failed exec) in the detail only,
      // never in the ModuleCrashed event other modules may receive
      fail(why + (output.isEmpty() ? "" : "; last output: " + output), status);
      services.listener().crashed(this, status);
    } else {
      String reason = stopReason;
      host.transition(
          ModuleState.STOPPED, reason == null ? why : reason + "; " + why, ModuleState.STOPPING);
    }
    closeEndpoints("process ended");
  }

  /** A running module ended unexpectedly: FAILED, then the listener applies the restart rule. */
  void fail(String why, Integer exitStatus) {
    LOG.log(System.Logger.Level.WARNING, "module {0} failed: {1}", id, why);
    boolean failed =
        host.transition(
            ModuleState.FAILED,
            why,
            ModuleState.LOADED,
            ModuleState.INITIALIZED,
            ModuleState.SUBSCRIBED,
            ModuleState.STARTED);
    if (failed) {
      services.listener().failed(this, exitStatus);
    }
  }

  /** SIGKILL to the process (the whole sandbox), if one was launched. */
  void killProcess() {
    LaunchedProcess p;
    synchronized (this) {
      p = process;
    }
    if (p != null) {
      p.kill();
    }
  }

  /** Waits (bounded) for the process to end; true when it has. */
  boolean awaitExit(long ms) {
    LaunchedProcess p;
    synchronized (this) {
      p = process;
    }
    return p == null || waitExit(p, ms);
  }

  /**
   * Graceful stop: ask with an invoke, wait the grace period, SIGTERM, wait, SIGKILL. Returns once
   * the final state is set and the state listeners were told of it: STOPPED when the process ended,
   * FAILED when it survived SIGKILL (logged). A second caller while a stop runs waits for that
   * stop's final state (bounded).
   */
  void stop(long graceMs) {
    stop(graceMs, null);
  }

  /**
   * {@link #stop(long)}, saying why: the final state's detail is {@code reason} followed by how the
   * process ended (null: the plain "process exited with status N").
   */
  void stop(long graceMs, String reason) {
    if (reason != null) {
      stopReason = reason;
    }
    LaunchedProcess p;
    synchronized (this) {
      p = process;
    }
    // reported after every earlier change (e.g. the reader's STARTED): ModuleHost orders them
    boolean asked =
        host.transition(
            ModuleState.STOPPING,
            reason == null ? "stop requested" : reason,
            ModuleState.LOADED,
            ModuleState.INITIALIZED,
            ModuleState.SUBSCRIBED,
            ModuleState.STARTED);
    if (p != null && asked) {
      CompletableFuture<Integer> exit =
          ProcessStop.run(id, p, connection(), services.codec(), graceMs);
      // the exit listener may not have run yet: set the final state here, whichever comes first
      String prefix = reason == null ? "" : reason + "; ";
      if (exit.isDone()) {
        host.transition(
            ModuleState.STOPPED,
            prefix + "process exited with status " + ProcessStop.status(exit),
            ModuleState.STOPPING);
      } else {
        host.transition(
            ModuleState.FAILED,
            prefix + "pid " + p.pid() + " did not end after SIGKILL",
            ModuleState.STOPPING);
      }
      try {
        // when the exit thread set the final state, its listeners may still be being told
        host.awaitTold(TOLD_WAIT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else if (p != null) {
      try {
        // another caller runs the stop: wait (bounded) until its final state is set
        host.awaitLeft(ModuleState.STOPPING, graceMs + ProcessStop.SIGNAL_WAITS_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeEndpoints("module stopped");
  }

  private static boolean waitExit(LaunchedProcess p, long ms) {
    return ProcessStop.waitExit(p.onExit(), ms);
  }

  /**
   * Closes the connection, the listening socket and the socket file (once; see Endpoint), and the
   * TCP sockets the loader listens on for the module.
   */
  void closeEndpoints(String why) {
    endpoint.close(why);
    session.network().close();
  }

  void markUnloaded() {
    host.transition(ModuleState.UNLOADED, null, ModuleState.values());
  }
}
