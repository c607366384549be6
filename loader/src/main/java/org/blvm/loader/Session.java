package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventType;

/**
 * What the {@link Dispatcher} knows of the module that calls: its authenticated id, manifest,
 * granted capabilities and policy, and what it set up at run time (subscriptions, served methods,
 * metrics), with its request rate limit and the module's counters. The session of a module lasts as
 * long as its launch (a restart gets a new one, with the same {@link ModuleCounters}).
 */
final class Session {
  /** Told when the module's progress moves its state (on the module's reader thread). */
  interface Progress {
    /** The module subscribed to at least one event. */
    void subscribed();

    /** The module said {@code ready}. */
    void ready();
  }

  private final String id;
  private final ModuleManifest manifest;

  /** Replaced (never mutated) when a policy reload narrows it; read by the dispatcher per call. */
  private volatile Set<Capability> granted;

  private final ModulePolicy policy;
  private final TokenBucket requests;
  private final Ticker ticker;
  private final Progress progress;
  private final ModuleNetwork network;

  private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
  private final Set<String> served = ConcurrentHashMap.newKeySet();
  private final ReportedMetrics metrics = new ReportedMetrics();
  private final ModuleCounters counters;

  @GuardedBy("this")
  private long rateLimitedUnaudited;

  @GuardedBy("this")
  private long rateLimitAuditedAt;

  @GuardedBy("this")
  private boolean rateLimitAudited;

  Session(AdmittedModule admitted, Ticker ticker, Progress progress, ModuleCounters counters) {
    this.counters = counters;
    this.manifest = admitted.manifest();
    this.id = manifest.name();
    this.granted = Set.copyOf(admitted.grantedCapabilities());
    this.policy = admitted.modulePolicy();
    this.ticker = ticker;
    this.requests = TokenBucket.of(policy.rateLimit(), ticker.nanoTime());
    this.progress = progress;
    this.network = new ModuleNetwork(id, policy.network(), ticker);
  }

  String id() {
    return id;
  }

  ModuleManifest manifest() {
    return manifest;
  }

  Set<Capability> granted() {
    return granted;
  }

  /**
   * Keeps only the granted capabilities that are also in {@code allowed} (a policy reload): the
   * dispatcher's next check sees the narrower set, and subscriptions that needed a removed
   * capability end (every one when {@code subscribe_events} itself was removed). Capabilities are
   * never added here: a wider grant takes effect at the module's next start. Returns those removed.
   */
  Set<Capability> narrow(Set<Capability> allowed) {
    Set<Capability> removed = EnumSet.noneOf(Capability.class);
    synchronized (this) {
      Set<Capability> kept = EnumSet.noneOf(Capability.class);
      for (Capability c : granted) {
        (allowed.contains(c) ? kept : removed).add(c);
      }
      if (removed.isEmpty()) {
        return removed;
      }
      granted = Set.copyOf(kept);
      subscriptions.removeIf(type -> !mayReceive(type));
    }
    return removed;
  }

  /** Whether the granted capabilities allow events of {@code type} (caller holds the monitor). */
  private boolean mayReceive(String type) {
    assert Thread.holdsLock(this);
    Set<Capability> g = granted;
    return g.contains(Capability.SUBSCRIBE_EVENTS)
        && EventType.fromWire(type).map(t -> g.contains(t.capability())).orElse(true);
  }

  ModulePolicy policy() {
    return policy;
  }

  /** This launch's brokered network: listening sockets, held connections, connect rate. */
  ModuleNetwork network() {
    return network;
  }

  /**
   * Takes one request token; false when the module is over its rate limit (which is counted).
   * Called only from the module's reader thread.
   */
  boolean tryRequest() {
    if (requests == null || requests.tryTake(ticker.nanoTime())) {
      return true;
    }
    counters.rateLimited();
    return false;
  }

  /**
   * How many rate-limited requests the next audit line stands for: all of them since the last line,
   * at most one line per second per module (0: no line due yet).
   */
  synchronized long rateLimitedToAudit() {
    long now = ticker.nanoTime();
    rateLimitedUnaudited++;
    if (rateLimitAudited && now - rateLimitAuditedAt < 1_000_000_000L) {
      return 0;
    }
    rateLimitAudited = true;
    rateLimitAuditedAt = now;
    long n = rateLimitedUnaudited;
    rateLimitedUnaudited = 0;
    return n;
  }

  void markReady() {
    progress.ready();
  }

  /** Adds subscriptions; returns all of them, or null when the bound would be exceeded. */
  Set<String> subscribe(Set<String> wanted, int max) {
    synchronized (this) {
      Set<String> all = new LinkedHashSet<>(subscriptions);
      all.addAll(wanted);
      if (all.size() > max) {
        return null;
      }
      for (String type : wanted) {
        if (mayReceive(type)) { // a policy reload may have narrowed the grant since the check
          subscriptions.add(type);
        }
      }
    }
    progress.subscribed();
    return Collections.unmodifiableSet(new LinkedHashSet<>(subscriptions));
  }

  boolean isSubscribed(String type) {
    return subscriptions.contains(type);
  }

  void registerMethods(List<String> methods) {
    served.addAll(methods);
  }

  boolean serves(String method) {
    return served.contains(method);
  }

  List<String> servedMethods() {
    List<String> l = new ArrayList<>(served);
    Collections.sort(l);
    return l;
  }

  /**
   * Records the last value of a metric series; returns null, or the error to answer when a name,
   * label or quota bound is broken ({@link ReportedMetrics}).
   */
  ErrorValue reportMetric(String name, Map<String, String> labels, double value) {
    return metrics.report(name, labels, value);
  }

  List<ReportedMetric> reportedMetrics() {
    return metrics.snapshot();
  }

  /** The module's counters (shared by its launches). */
  ModuleCounters counters() {
    return counters;
  }

  /** One request received (counted before any check). */
  void countCall() {
    counters.received();
  }

  Set<String> subscriptions() {
    return Set.copyOf(subscriptions);
  }

  void countDenied(Capability capability) {
    counters.denied(capability);
  }
}
