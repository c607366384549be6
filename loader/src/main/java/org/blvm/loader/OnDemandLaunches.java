package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.blvm.policy.AdmittedModule;
import org.blvm.protocol.Capability;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;

/**
 * The loader side of on-demand start: admits such a module at node start without launching it
 * (IDLE), keeps its pinned copy, and does for its {@link OnDemandStarter} what the starter decides:
 * launch (the pinned copy, rechecked under the policy in force), stop, take an ended launch out of
 * the registry, deliver queued events, invoke waiting calls. Its ticks run on the manager's {@code
 * blvm-timer}; launches, stops and parks each on a {@code blvm-<module>-ondemand} thread.
 */
final class OnDemandLaunches implements OnDemandActions {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private record Pinned(AdmittedModule admitted, Path dir) {}

  private final Map<String, Pinned> pinned = new ConcurrentHashMap<>();
  private final ModuleRunner runner;
  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final EventRelay relay;
  private final ModuleHistory history;
  private final long stopGraceMs;
  private final ScheduledExecutorService timer;
  private final OnDemandStarter starter;
  private volatile boolean ticking;

  OnDemandLaunches(
      ModuleRunner runner,
      ModuleRegistry modules,
      ModuleDiscovery discovery,
      EventRelay relay,
      ModuleHistory history,
      LoaderConfig config,
      Ticker ticker) {
    this.runner = runner;
    this.modules = modules;
    this.discovery = discovery;
    this.relay = relay;
    this.history = history;
    this.stopGraceMs = config.stopGraceMs();
    this.timer = runner.timer();
    this.starter = new OnDemandStarter(this, ticker, config.callTimeoutMs());
  }

  OnDemandStarter starter() {
    return starter;
  }

  /**
   * Takes an admitted module whose policy starts it on demand: IDLE, launched when first needed. A
   * {@code subscribes} type whose capability it was not granted refuses it (FAILED, with why).
   *
   * @throws IllegalStateException when a module of that name is loaded
   */
  synchronized ModuleStatus admit(AdmittedModule a, Path dir) {
    String id = a.manifest().name();
    String dirName = dir.getFileName().toString();
    if (modules.get(id).isPresent()) {
      throw new IllegalStateException("module " + id + " is already loaded");
    }
    Set<Capability> granted = a.grantedCapabilities();
    for (String type : a.manifest().subscribes()) {
      Capability needed = EventType.fromWire(type).map(EventType::capability).orElse(null);
      for (Capability c : new Capability[] {Capability.SUBSCRIBE_EVENTS, needed}) {
        if (c != null && !granted.contains(c)) {
          String why =
              "module "
                  + id
                  + " "
                  + a.manifest().version()
                  + ": subscribes to "
                  + type
                  + ", which needs the capability "
                  + c
                  + ", not granted by the policy";
          ModuleStatus refused =
              new ModuleStatus(dirName, a.manifest().version(), ModuleState.FAILED, none(), why);
          modules.refuse(dirName, refused);
          history.changed(dirName, ModuleState.UNLOADED, ModuleState.FAILED, why);
          return refused;
        }
      }
    }
    pinned.put(id, new Pinned(a, dir));
    starter.register(
        id,
        new HashSet<>(a.manifest().provides()),
        new HashSet<>(a.manifest().subscribes()),
        a.modulePolicy().start().idleSeconds());
    ModuleStatus idle = showIdle(id, a.manifest().version(), dirName, "starts on demand");
    history.changed(id, ModuleState.UNLOADED, ModuleState.IDLE, idle.detail());
    if (!ticking) {
      ticking = true;
      try {
        timer.scheduleAtFixedRate(
            starter::tick, OnDemandStarter.TICK_MS, OnDemandStarter.TICK_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // the manager is closing
      }
    }
    return idle;
  }

  /** Forgets an unloaded module. */
  void forget(String id) {
    starter.forget(id);
    pinned.remove(id);
  }

  private ModuleStatus showIdle(String id, String version, String dirName, String detail) {
    ModuleStatus s = new ModuleStatus(id, version, ModuleState.IDLE, none(), detail);
    modules.refuse(dirName, s);
    return s;
  }

  private static OptionalLong none() {
    return OptionalLong.empty();
  }

  @Override
  public ModuleStatus launch(String id) {
    Pinned p = pinned.get(id);
    if (p == null) {
      throw new IllegalStateException("module " + id + " is not started on demand");
    }
    return runner.launch(discovery.readmit(p.admitted(), p.dir()), p.dir());
  }

  @Override
  public void stop(String id, String why) {
    modules.get(id).ifPresent(m -> m.stop(stopGraceMs, why));
  }

  @Override
  public void park(String id, String detail) {
    Pinned p = pinned.get(id);
    if (p == null) {
      return; // unloaded
    }
    LoadedModule m = modules.get(id).orElse(null);
    ModuleState from = ModuleState.FAILED;
    if (m != null) {
      from = m.host().state();
      try {
        runner.retire(m, "idle");
      } catch (IllegalStateException e) {
        LOG.log(System.Logger.Level.WARNING, "module {0} not returned to idle: {1}", id, e);
        return;
      }
      pinned.put(id, new Pinned(m.admitted(), p.dir()));
    }
    String d = "starts on demand; last run: " + (detail == null ? from : detail);
    showIdle(id, p.admitted().manifest().version(), p.dir().getFileName().toString(), d);
    history.changed(id, from, ModuleState.IDLE, d);
  }

  @Override
  public void deliver(String id, SharedEvent event) {
    modules.get(id).ifPresent(m -> m.deliver(event));
  }

  @Override
  public void missed(String id, long n) {
    modules.get(id).ifPresent(m -> m.skipEvents(n));
  }

  @Override
  public CompletableFuture<Message.Response> invoke(
      String id, String method, JsonNode params, String caller) {
    return modules.invoke(id, method, params, caller);
  }

  @Override
  public long eventsSent(String id) {
    return modules.counters(id).eventsSent();
  }

  @Override
  public void afterQueuedEvents(Runnable task) {
    relay.relay(task);
  }

  @Override
  public void spawn(String id, Runnable task) {
    Thread t = new Thread(task, "blvm-" + id + "-ondemand");
    t.setDaemon(true);
    t.start();
  }
}
