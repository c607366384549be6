package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeoutException;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;

/**
 * The modules a manager knows, by name: the loaded ones and the ones not loaded (refused, or idle
 * until started on demand), with their status. It is the {@link ModuleDirectory} and {@link
 * EventSink} of the dispatcher, and fans events out to subscribers. Lock-free: concurrent maps.
 */
final class ModuleRegistry implements ModuleDirectory, EventSink {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final Map<String, LoadedModule> loaded = new ConcurrentSkipListMap<>();
  private final Map<String, ModuleStatus> refused = new ConcurrentSkipListMap<>();
  private final Map<String, ModuleCounters> counters = new ConcurrentSkipListMap<>();
  private final ModuleEventListener eventListener;

  /** The modules started on demand (set once, before the first start). */
  private volatile OnDemandStarter onDemand;

  ModuleRegistry(ModuleEventListener eventListener) {
    this.eventListener = eventListener;
  }

  void onDemand(OnDemandStarter starter) {
    this.onDemand = starter;
  }

  /** Adds a loaded module; false when one of that name is loaded already. */
  boolean add(LoadedModule m, String dirName) {
    if (loaded.putIfAbsent(m.id(), m) != null) {
      return false;
    }
    refused.remove(dirName);
    return true;
  }

  /** Removes {@code m} if it is still the module loaded under its name. */
  boolean remove(LoadedModule m) {
    return loaded.remove(m.id(), m);
  }

  /** The counters of module {@code id}, kept across its launches until {@link #forget}. */
  ModuleCounters counters(String id) {
    return counters.computeIfAbsent(id, k -> new ModuleCounters());
  }

  /** An unloaded module: its counters go. */
  void forget(String id) {
    if (!loaded.containsKey(id)) {
      counters.remove(id);
    }
  }

  /** The refused modules' statuses, by directory name. */
  Collection<ModuleStatus> refusedStatuses() {
    return refused.values();
  }

  void refuse(String dirName, ModuleStatus status) {
    refused.put(dirName, status);
  }

  /** Forgets a module refused at admission; false when none of that name was. */
  boolean forgetRefused(String dirName) {
    return refused.remove(dirName) != null;
  }

  Optional<LoadedModule> get(String id) {
    return Optional.ofNullable(loaded.get(id));
  }

  /** The loaded module {@code id}, or IllegalArgumentException. */
  LoadedModule require(String id) {
    LoadedModule m = loaded.get(id);
    if (m == null) {
      throw new IllegalArgumentException("no loaded module \"" + id + "\"");
    }
    return m;
  }

  Collection<LoadedModule> all() {
    return loaded.values();
  }

  Optional<ModuleStatus> status(String id) {
    LoadedModule m = loaded.get(id);
    return m != null ? Optional.of(m.host().status()) : Optional.ofNullable(refused.get(id));
  }

  List<ModuleStatus> statuses() {
    Map<String, ModuleStatus> all = new TreeMap<>(refused);
    loaded.values().forEach(m -> all.put(m.id(), m.host().status()));
    return List.copyOf(all.values());
  }

  /** Waits until every loaded module is STARTED; names the ones that are not. */
  void awaitAllStarted(Duration timeout) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> late = new ArrayList<>();
    for (LoadedModule m : loaded.values()) {
      long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
      if (!m.host().awaitState(ModuleState.STARTED, left)) {
        ModuleStatus st = m.host().status();
        late.add(
            st.name() + " (" + st.state() + (st.detail() == null ? "" : ": " + st.detail()) + ")");
      }
    }
    if (!late.isEmpty()) {
      throw new TimeoutException("modules not started within " + timeout + ": " + late);
    }
  }

  /** How many loaded modules would get an event of {@code type} now. */
  int subscribers(String type) {
    int n = 0;
    for (LoadedModule m : loaded.values()) {
      if (m.wouldDeliver(type)) {
        n++;
      }
    }
    return n;
  }

  /** Queues the event for every connected subscriber; returns how many. */
  int fanOut(SharedEvent event) {
    int n = 0;
    OnDemandStarter od = onDemand;
    if (od != null) {
      od.offer(event); // on-demand modules not running now: queued, and started if they need it
    }
    for (LoadedModule m : loaded.values()) {
      if ((od == null || od.passes(m.id())) && m.deliver(event)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public int publishFromModule(SharedEvent event, String source, JsonNode payload) {
    int n = fanOut(event);
    try {
      eventListener.onModuleEvent(source, event.type(), payload);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "module event listener failed", e);
    }
    return n;
  }

  @Override
  public Optional<Session> session(String id) {
    return get(id).map(LoadedModule::session);
  }

  @Override
  public CompletableFuture<Message.Response> invoke(
      String target, String method, JsonNode params, String caller) {
    OnDemandStarter od = onDemand;
    if (od != null) {
      od.called(target);
    }
    LoadedModule m = loaded.get(target);
    if (m == null) {
      return CompletableFuture.completedFuture(
          Message.Response.error(
              0, ErrorValue.of(ErrorCode.UNAVAILABLE, "module " + target + " is not running")));
    }
    return m.invoke(method, params, caller);
  }

  @Override
  public boolean startsOnDemand(String target) {
    OnDemandStarter od = onDemand;
    return od != null && od.intercepts(target);
  }

  @Override
  public CompletableFuture<Message.Response> callOnDemand(
      String target, String method, JsonNode params, String caller) {
    return onDemand.call(target, method, params, caller);
  }

  /**
   * The loaded modules, with the methods they registered, and the IDLE modules started on demand,
   * with the methods their manifests provide (a call to one starts it); by name.
   */
  @Override
  public List<Api.ModuleInfo> moduleInfos() {
    Map<String, Api.ModuleInfo> out = new TreeMap<>();
    OnDemandStarter od = onDemand;
    for (ModuleStatus s : refused.values()) {
      if (od != null && s.state() == ModuleState.IDLE && od.manages(s.name())) {
        out.put(
            s.name(),
            new Api.ModuleInfo(s.name(), s.version(), s.state().name(), od.provides(s.name())));
      }
    }
    for (LoadedModule m : loaded.values()) {
      out.put(
          m.id(),
          new Api.ModuleInfo(
              m.id(),
              m.session().manifest().version(),
              m.host().state().name(),
              m.session().servedMethods()));
    }
    return List.copyOf(out.values());
  }
}
