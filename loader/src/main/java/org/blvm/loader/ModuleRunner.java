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
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;

/**
 * Starts, stops, unloads and restarts modules for the manager, and is every module's {@link
 * LoadedModule.Listener}: it publishes lifecycle events through the {@link EventRelay} and hands
 * failures to the {@link RestartPolicy}.
 *
 * <p>Over 400 lines: the starts, stops and restarts share the registry's hand-over of a module's
 * launches (retire, launch) and the listener calls that drive them.
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
  private final ConfigReloader configReloader;
  private final ModuleLogListener logListener;
  private final ModuleHistory history;
  private final Clock clock;

  /** Held while a policy reload applies (it stops modules): reloads run one at a time. */
  private final ReentrantLock policyReload = new ReentrantLock();

  private final DataUsageMonitor dataUsage;
  private final ScheduledExecutorService timer = DaemonThreads.scheduler("blvm-timer");

  /** Modules whose automatic restarts are held (an upgrade runs). */
  private final Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile LoadedModule.Services services;
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
    this.configReloader = configReloader;
    this.logListener = logListener;
    this.history = history;
    this.clock = clock;
    this.dataUsage = dataUsage;
  }

  /** Runs the connect deadlines of launches (one thread, {@code blvm-timer}). */
  ScheduledExecutorService timer() {
    return timer;
  }

  /** What every module gets (set once, before the first start). */
  void services(LoadedModule.Services s) {
    this.services = s;
  }

  /** Admits the module in {@code dir} and launches it; a failure is its FAILED status. */
  ModuleStatus start(Path dir) {
    return launch(discovery.admit(dir), dir);
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
    if (o.by() != discovery.admission()) {
      // a policy reload happened while this module was admitted: check it against the new one
      applyPolicy(m, discovery.admission(), new ArrayList<>(), new ArrayList<>());
    }
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
    Path dir = discovery.modulesDir().resolve(requireName(id));
    LoadedModule old = modules.get(id).orElse(null);
    if (old != null) {
      retire(old, "starting again");
      return startPinned(old);
    } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(
          "no module \"" + id + "\": " + dir + " is not a module directory");
    }
    return start(dir);
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
    timer.shutdownNow();
    restarts.close();
    List<LoadedModule> all = new ArrayList<>(modules.all());
    List<String> reasons = new ArrayList<>();
    all.forEach(m -> reasons.add(null));
    stopInParallel(all, reasons);
  }

  /**
   * Stops each module (one {@code blvm-<module>-stop} thread each), with its reason (null: none);
   * returns when all have stopped.
   */
  private void stopInParallel(List<LoadedModule> ms, List<String> reasons) {
    List<Thread> stoppers = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) {
      LoadedModule m = ms.get(i);
      String why = reasons.get(i);
      Thread t = new Thread(() -> m.stop(config.stopGraceMs(), why), "blvm-" + m.id() + "-stop");
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
  }

  /** For events the manager itself raises (module lifecycle); relayed in order with node events. */
  void publishCore(EventType type, Record payload) {
    if (!closed || type == EventType.ModuleStateChanged || type == EventType.ModuleUnloaded) {
      relay.relay(
          () -> modules.fanOut(codec.encodeShared(type.wireName(), null, (Object) payload)));
    }
  }

  // ------------------------------------------------------------------ LoadedModule.Listener

  @Override
  public void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail) {
    publishCore(
        EventType.ModuleStateChanged,
        new EventPayloads.ModuleStateChanged(host.id(), from.name(), to.name()));
    history.changed(host.id(), from, to, detail);
  }

  // ------------------------------------------------------------------ policy reload

  /**
   * Applies a new policy: every admission from now on uses it (starts, restarts), and each running
   * module is checked against it ({@link Admission#recheck}): one it refuses is stopped with the
   * reason, one that keeps running loses the capabilities the policy no longer grants at once.
   * Reloads run one at a time; stops run in parallel, each bounded like stopModule.
   */
  PolicyReload reloadPolicy(Policy policy) {
    policyReload.lock();
    try {
      Admission next = discovery.admission().withPolicy(policy);
      discovery.admission(next);
      List<LoadedModule> refused = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      List<PolicyReload.Narrowed> narrowed = new ArrayList<>();
      for (LoadedModule m : modules.all()) {
        PolicyReload.Narrowed n = applyPolicyChecks(m, next, refused, reasons);
        if (n != null) {
          narrowed.add(n);
        }
      }
      List<PolicyReload.Stopped> stopped = stopAll(refused, reasons);
      LOG.log(
          System.Logger.Level.INFO,
          "policy {0} applied: {1} module(s) stopped, {2} narrowed",
          policy.source(),
          Integer.toString(stopped.size()),
          Integer.toString(narrowed.size()));
      return new PolicyReload(clock.instant(), policy.source(), stopped, narrowed);
    } finally {
      policyReload.unlock();
    }
  }

  /** Checks one running module against {@code a} and stops it when refused (a late start). */
  private void applyPolicy(
      LoadedModule m, Admission a, List<LoadedModule> refused, List<String> reasons) {
    applyPolicyChecks(m, a, refused, reasons);
    stopAll(refused, reasons);
  }

  /**
   * Checks a running module against {@code a}: adds it (and why) to {@code refused}, or narrows its
   * capabilities; returns what it lost, or null.
   */
  private PolicyReload.Narrowed applyPolicyChecks(
      LoadedModule m, Admission a, List<LoadedModule> refused, List<String> reasons) {
    if (!m.host().state().isLive()) {
      return null; // stopped or failed: its next start is admitted under the new policy
    }
    try {
      AdmittedModule now = a.recheck(m.admitted(), m.moduleDir());
      Set<Capability> removed = m.session().narrow(now.grantedCapabilities());
      if (removed.isEmpty()) {
        return null;
      }
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: the policy no longer grants {1}; from now on they are refused",
          m.id(),
          removed);
      return new PolicyReload.Narrowed(m.id(), removed);
    } catch (AdmissionException e) {
      refused.add(m);
      reasons.add("stopped by a policy reload: " + e.getMessage());
      return null;
    }
  }

  /** Stops each module with its reason, in parallel; returns how each ended. */
  private List<PolicyReload.Stopped> stopAll(List<LoadedModule> refused, List<String> reasons) {
    if (refused.isEmpty()) {
      return List.of();
    }
    relay.flush();
    for (int i = 0; i < refused.size(); i++) {
      LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", refused.get(i).id(), reasons.get(i));
    }
    stopInParallel(refused, reasons);
    List<PolicyReload.Stopped> out = new ArrayList<>();
    for (int i = 0; i < refused.size(); i++) {
      LoadedModule m = refused.get(i);
      out.add(new PolicyReload.Stopped(m.id(), reasons.get(i), m.host().state()));
    }
    return out;
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
    if (!closed && !held.contains(m.id())) {
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
