package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;

/**
 * Starts, stops, unloads and restarts modules for the manager, and is every module's {@link
 * LoadedModule.Listener}: it publishes lifecycle events through the {@link EventRelay} and hands
 * failures to the {@link RestartPolicy}.
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
  private final DataUsageMonitor dataUsage;
  private final ScheduledExecutorService timer = DaemonThreads.scheduler("blvm-timer");
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

  /** Admits and launches the module in {@code dir}; a failure is its FAILED status. */
  ModuleStatus start(Path dir) {
    String dirName = dir.getFileName().toString();
    ModuleDiscovery.Outcome o = discovery.admit(dir);
    if (o.refused() != null) {
      modules.refuse(dirName, o.refused());
      return o.refused();
    }
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    byte[] token = HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII);
    LoadedModule m = new LoadedModule(services, o.admitted(), dir, token);
    if (!modules.add(m, dirName)) {
      throw new IllegalStateException("module " + m.id() + " is already loaded");
    }
    try {
      m.start(launcher);
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
    return m.host().status();
  }

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
    LoadedModule m = modules.require(id);
    relay.flush();
    m.stop(config.stopGraceMs());
    modules.remove(m);
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
    // Admission runs again: a module whose signature or pin no longer checks out stays down.
    ModuleStatus s = start(old.moduleDir());
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
    List<Thread> stoppers = new ArrayList<>();
    for (LoadedModule m : modules.all()) {
      Thread t = new Thread(() -> m.stop(config.stopGraceMs()), "blvm-" + m.id() + "-stop");
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
  public void stateChanged(ModuleHost host, ModuleState from, ModuleState to) {
    publishCore(
        EventType.ModuleStateChanged,
        new EventPayloads.ModuleStateChanged(host.id(), from.name(), to.name()));
  }

  @Override
  public void failed(LoadedModule m, Integer exitStatus) {
    if (!closed) {
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
