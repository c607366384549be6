package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;

/**
 * What the {@link Dispatcher} knows of the module that calls: its authenticated id, manifest,
 * granted capabilities and policy, and what it set up at run time (subscriptions, served methods,
 * metrics), with its request rate limit and the counters the manager reports. The session of a
 * module lasts as long as its launch (a restart gets a new one).
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
  private final Set<Capability> granted;
  private final ModulePolicy policy;
  private final TokenBucket requests;
  private final Ticker ticker;
  private final Progress progress;
  private final ModuleNetwork network;

  private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
  private final Set<String> served = ConcurrentHashMap.newKeySet();
  private final Map<String, Double> metrics = new ConcurrentHashMap<>();
  private final AtomicLong protocolErrors = new AtomicLong();
  private final AtomicLong denied = new AtomicLong();
  private final AtomicLong overflows = new AtomicLong();
  private final AtomicLong droppedEvents = new AtomicLong();
  private final AtomicLong rateLimited = new AtomicLong();

  @GuardedBy("this")
  private long rateLimitedUnaudited;

  @GuardedBy("this")
  private long rateLimitAuditedAt;

  @GuardedBy("this")
  private boolean rateLimitAudited;

  Session(AdmittedModule admitted, Ticker ticker, Progress progress) {
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
    rateLimited.incrementAndGet();
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
      subscriptions.addAll(wanted);
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

  /** Records a metric; false when it would be a new name beyond {@code max}. */
  boolean reportMetric(String name, double value, int max) {
    if (!metrics.containsKey(name) && metrics.size() >= max) {
      return false;
    }
    metrics.put(name, value);
    return true;
  }

  Map<String, Double> metrics() {
    return Map.copyOf(metrics);
  }

  void countProtocolError() {
    protocolErrors.incrementAndGet();
  }

  void countDenied() {
    denied.incrementAndGet();
  }

  void countOverflow() {
    overflows.incrementAndGet();
  }

  void countDropped(long n) {
    droppedEvents.addAndGet(n);
  }

  long protocolErrors() {
    return protocolErrors.get();
  }

  long deniedCalls() {
    return denied.get();
  }

  long overflows() {
    return overflows.get();
  }

  long droppedEvents() {
    return droppedEvents.get();
  }

  long rateLimitedCalls() {
    return rateLimited.get();
  }
}
