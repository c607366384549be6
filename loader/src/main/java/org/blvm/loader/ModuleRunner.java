package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;

/**
 * Starts, stops, unloads and restarts modules for the manager, and is every module's {@link
 * LoadedModule.Listener}: it publishes lifecycle events through the {@link EventRelay} and hands
 * failures to the {@link RestartPolicy}.
 *
 * <p>Policy reloads are applied by its {@link PolicyApplier}.
 */
final class ModuleRunner implements LoadedModule.Listener {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final LoaderConfig config;
  private final ModuleLauncher launcher;
  private final SecureRandom random;
  private final Codec codec;
  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final RestartPolicy restarts;
  private final EventRelay relay;

  /** The relay's task for the lifecycle events this runner raises. */
  private final NodeEventFanOut coreEvents;

  private final ConfigReloader configReloader;
  private final ModuleLogListener logListener;
  private final ModuleHistory history;
  private final PolicyApplier policies;

  private final DataUsageMonitor dataUsage;
  private final ScheduledExecutorService timer = DaemonThreads.scheduler("blvm-timer");

  /** Modules whose automatic restarts are held (an upgrade runs). */
  private final Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile LoadedModule.Services services;
  private volatile OnDemandLaunches onDemand;
  private volatile Predicate<LoadedModule> restartGate;
  private volatile boolean closed;

  ModuleRunner(
      LoaderConfig config,
      ModuleLauncher launcher,
      SecureRandom random,
      Codec codec,
      ModuleRegistry modules,
      ModuleDiscovery discovery,
      RestartPolicy restarts,
      EventRelay relay,
      ConfigReloader configReloader,
      ModuleLogListener logListener,
      ModuleHistory history,
      Clock clock,
      DataUsageMonitor dataUsage) {
    this.config = config;
    this.launcher = launcher;
    this.random = random;
    this.codec = codec;
    this.modules = modules;
    this.discovery = discovery;
    this.restarts = restarts;
    this.relay = relay;
    this.coreEvents = new NodeEventFanOut(codec, modules);
    this.configReloader = configReloader;
    this.logListener = logListener;
    this.history = history;
    this.policies = new PolicyApplier(modules, discovery, relay, config.stopGraceMs(), clock);
    this.dataUsage = dataUsage;
  }

  /** Applies policy reloads to the running modules ({@code ModuleManager.reloadPolicy}). */
  PolicyApplier policies() {
    return policies;
  }

  /** Runs the connect deadlines of launches (one thread, {@code blvm-timer}). */
  ScheduledExecutorService timer() {
    return timer;
  }

  /** What every module gets (set once, before the first start). */
  void services(LoadedModule.Services s) {
    this.services = s;
  }

  /** The modules started on demand (set once, before the first start). */
  void onDemand(OnDemandLaunches od) {
    this.onDemand = od;
  }

  /**
   * Asked before each automatic restart; true holds it back (the module stays FAILED). Set once,
   * before the first start.
   */
  void restartGate(Predicate<LoadedModule> gate) {
    this.restartGate = gate;
  }

  /**
   * Launches an admitted module, or, when its policy starts it on demand, leaves it IDLE; a refusal
   * is its FAILED status.
   */
  ModuleStatus launchOrIdle(ModuleDiscovery.Outcome o, Path dir) {
    if (o.refused() == null && o.admitted().modulePolicy().start().onDemand()) {
      return onDemand.admit(o.admitted(), dir);
    }
    return launch(o, dir);
  }

  /** Whether {@code id} is a module started on demand (IDLE or running). */
  boolean startsOnDemand(String id) {
    return onDemand.starter().manages(id);
  }

  /**
   * Launches the store copy {@code old} ran from again, rechecked under the policy in force
   * (pinned: the module directory is not read); a refusal is its FAILED status.
   */
  private ModuleStatus startPinned(LoadedModule old) {
    return launch(discovery.readmit(old.admitted(), old.moduleDir()), old.moduleDir());
  }

  /**
   * Launches an admitted module; a refusal or failure is its FAILED status. The caller removed any
   * earlier launch of it from the registry.
   */
  ModuleStatus launch(ModuleDiscovery.Outcome o, Path dir) {
    String dirName = dir.getFileName().toString();
    if (o.refused() != null) {
      modules.refuse(dirName, o.refused());
      history.changed(dirName, ModuleState.UNLOADED, ModuleState.FAILED, o.refused().detail());
      return o.refused();
    }
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    byte[] token = HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII);
    String id = o.admitted().manifest().name();
    LoadedModule m = new LoadedModule(services, o.admitted(), dir, token, modules.counters(id));
    if (!modules.add(m, dirName)) {
      throw new IllegalStateException("module " + m.id() + " is already loaded");
    }
    try {
      m.start(launcher);
      history.launched(m.id());
      dataUsage.watch(
          new DataUsageMonitor.Subject(
              m.id(),
              m.dataDir(),
              m.host().status().pid().orElse(-1),
              () -> m.host().state().isLive(),
              why -> stopForDataLimit(m, why)),
          LimitResolver.dataLimit(config.launchDefaults(), m.session().policy()));
      publishCore(
          EventType.ModuleLoaded,
          new EventPayloads.ModuleLoaded(m.id(), o.admitted().manifest().version()));
    } catch (IOException | RuntimeException | LinkageError e) {
      // a native library that cannot be linked fails this module, never the caller
      LOG.log(
          System.Logger.Level.WARNING, "module {0} failed to start: {1}", dirName, e.toString());
      m.host()
          .transition(ModuleState.FAILED, "launch failed: " + e.getMessage(), ModuleState.LOADED);
      m.closeEndpoints("launch failed");
    }
    // a policy reload may have happened while this module was admitted
    policies.checkLateStart(m, o.by());
    return m.host().status();
  }

  /**
   * Starts the module named {@code id}: one not loaded yet or refused earlier from its directory;
   * one loaded and now STOPPED or FAILED from its pinned store copy (a pending automatic restart is
   * dropped).
   *
   * @throws IllegalArgumentException when there is no such module directory
   * @throws IllegalStateException when it is running or stopping
   */
  ModuleStatus startById(String id) {
    if (onDemand.starter().manages(id)) {
      onDemand.starter().startNow(id); // launched now, or once its last run ended
      return modules.status(id).orElseThrow();
    }
    Path dir = discovery.modulesDir().resolve(requireName(id));
    LoadedModule old = modules.get(id).orElse(null);
    if (old != null) {
      retire(old, "starting again");
      return startPinned(old);
    } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(
          "no module \"" + id + "\": " + dir + " is not a module directory");
    }
    return launchOrIdle(discovery.admit(dir), dir);
  }

  /**
   * Takes a launch that ended (STOPPED or FAILED) out of the registry, its process gone and its
   * endpoints closed, so that the module can be launched again.
   *
   * @throws IllegalStateException when it is running or stopping, its process has not ended, or it
   *     was replaced meanwhile
   */
  void retire(LoadedModule old, String why) {
    String id = old.id();
    ModuleState state = old.host().state();
    if (state.isLive() || state == ModuleState.STOPPING) {
      throw new IllegalStateException("module " + id + " is " + state);
    }
    if (!old.awaitExit(5000)) {
      throw new IllegalStateException("module " + id + "'s previous process has not ended");
    }
    old.closeEndpoints(why);
    if (!modules.remove(old)) {
      throw new IllegalStateException("module " + id + " changed meanwhile; try again");
    }
  }

  /** Stops the module if it runs, then starts it again (its pinned store copy). */
  ModuleStatus restartById(String id) {
    LoadedModule m = modules.get(id).orElse(null);
    if (m != null && m.host().state().isLive()) {
      stop(id);
    }
    return startById(id);
  }

  private static String requireName(String id) {
    if (id == null || !MODULE_NAME.matcher(id).matches()) {
      throw new IllegalArgumentException("not a module name: " + id);
    }
    return id;
  }

  private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /**
   * The module's data directory is over its limit (or cannot be measured): FAILED with {@code why},
   * its process killed, and no restart, which would find the directory as full.
   */
  private static void stopForDataLimit(LoadedModule m, String why) {
    String detail =
        why + "; not restarted: free space in " + m.dataDir() + ", then start the module again";
    boolean stopped =
        m.host()
            .transition(
                ModuleState.FAILED,
                detail,
                ModuleState.LOADED,
                ModuleState.INITIALIZED,
                ModuleState.SUBSCRIBED,
                ModuleState.STARTED);
    if (stopped) {
      LOG.log(System.Logger.Level.WARNING, "module {0} stopped: {1}", m.id(), detail);
      m.killProcess();
    }
  }

  /** Stops the module gracefully, after the events published before; returns its status. */
  ModuleStatus stop(String id) {
    LoadedModule m = modules.require(id);
    relay.flush(); // events published before the stop are queued before it
    m.stop(config.stopGraceMs());
    return m.host().status();
  }

  /** Stops the module if needed and forgets it; its data directory stays. */
  void unload(String id) {
    onDemand.forget(id); // before the stop: an on-demand module does not return to idle
    if (modules.get(id).isEmpty() && modules.forgetRefused(id)) {
      history.changed(id, ModuleState.FAILED, ModuleState.UNLOADED, null);
      return;
    }
    LoadedModule m = modules.require(id);
    relay.flush();
    m.stop(config.stopGraceMs());
    modules.remove(m);
    modules.forget(id);
    m.markUnloaded();
    publishCore(EventType.ModuleUnloaded, new EventPayloads.ModuleUnloaded(id, "unloaded"));
  }

  /** A failed module's restart, on the restart thread, after its backoff. */
  private void restart(LoadedModule old) {
    if (closed || modules.get(old.id()).orElse(null) != old) {
      return; // stopped, unloaded or replaced meanwhile
    }
    if (old.host().state() != ModuleState.FAILED) {
      return;
    }
    if (!old.awaitExit(5000)) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0} not restarted: its previous process has not ended",
          old.id());
      old.host().appendDetail("not restarted: the previous process did not end");
      return;
    }
    Predicate<LoadedModule> gate = restartGate;
    if (gate != null && gate.test(old)) {
      return; // a required dependency does not run: started again once it does
    }
    old.closeEndpoints("restarting");
    if (!modules.remove(old)) {
      return;
    }
    restarts.restarted(old.id());
    // The pinned store copy, rechecked under the policy in force: a module whose keys no longer
    // count, or whose stored copy is damaged, stays down; the module directory is not read.
    ModuleStatus s = startPinned(old);
    LOG.log(System.Logger.Level.INFO, "module {0} restarted: {1}", old.id(), s.state());
  }

  /**
   * Stops scheduling restarts and stops every module, all at once (one {@code blvm-<module>-stop}
   * thread each), each with the grace period; returns when all have stopped.
   */
  void stopAll() {
    closed = true;
    onDemand.starter().close();
    timer.shutdownNow();
    restarts.close();
    List<LoadedModule> all = new ArrayList<>(modules.all());
    List<String> reasons = new ArrayList<>();
    all.forEach(m -> reasons.add(null));
    PolicyApplier.stopInParallel(all, reasons, config.stopGraceMs());
  }

  /** For events the manager itself raises (module lifecycle); relayed in order with node events. */
  void publishCore(EventType type, Record payload) {
    if (!closed || type == EventType.ModuleStateChanged || type == EventType.ModuleUnloaded) {
      relay.relay(coreEvents, type.wireName(), payload);
    }
  }

  // ------------------------------------------------------------------ LoadedModule.Listener

  @Override
  public void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail) {
    publishCore(
        EventType.ModuleStateChanged,
        new EventPayloads.ModuleStateChanged(host.id(), from.name(), to.name()));
    history.changed(host.id(), from, to, detail);
    onDemand.starter().stateChanged(host.id(), to, detail);
  }

  /** Holds automatic restarts of {@code id} (an upgrade replaces its launches itself). */
  void holdRestarts(String id) {
    held.add(id);
  }

  void releaseRestarts(String id) {
    held.remove(id);
  }

  @Override
  public void failed(LoadedModule m, Integer exitStatus) {
    // an on-demand module that fails returns to idle: the next call or event starts it
    if (!closed && !held.contains(m.id()) && !onDemand.starter().manages(m.id())) {
      restarts.failed(
          m.id(), m.session().policy().restart(), exitStatus, m.host(), () -> restart(m));
    }
  }

  @Override
  public void crashed(LoadedModule m, Integer exitStatus) {
    publishCore(
        EventType.ModuleCrashed,
        new EventPayloads.ModuleCrashed(
            m.id(), exitStatus, "process exited with status " + exitStatus));
  }

  @Override
  public JsonNode contextConfig(Session s) {
    return configReloader == null ? s.manifest().config() : configReloader.contextConfig(s);
  }

  @Override
  public void log(String moduleId, Message.Log line) {
    logListener.onLog(moduleId, line.level(), line.message());
  }
}
