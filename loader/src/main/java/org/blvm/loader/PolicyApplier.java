package org.blvm.loader;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;

/**
 * Applies the operator's policy to modules that run: a reload checks every running module against
 * the new policy ({@link Admission#recheck}) and stops the ones it refuses, narrows the others; a
 * module admitted just before a reload is checked the same way once it is launched. Stops run in
 * parallel, one {@code blvm-<module>-stop} thread each.
 */
final class PolicyApplier {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final EventRelay relay;
  private final long stopGraceMs;
  private final Clock clock;

  /** Held while a policy reload applies (it stops modules): reloads run one at a time. */
  private final ReentrantLock policyReload = new ReentrantLock();

  PolicyApplier(
      ModuleRegistry modules,
      ModuleDiscovery discovery,
      EventRelay relay,
      long stopGraceMs,
      Clock clock) {
    this.modules = modules;
    this.discovery = discovery;
    this.relay = relay;
    this.stopGraceMs = stopGraceMs;
    this.clock = clock;
  }

  /**
   * Applies a new policy: every admission from now on uses it (starts, restarts), and each running
   * module is checked against it ({@link Admission#recheck}): one it refuses is stopped with the
   * reason, one that keeps running loses the capabilities the policy no longer grants at once.
   * Reloads run one at a time; stops run in parallel, each bounded like stopModule.
   */
  PolicyReload reload(Policy policy) {
    policyReload.lock();
    try {
      Admission next = discovery.admission().withPolicy(policy);
      discovery.admission(next);
      List<LoadedModule> refused = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      List<PolicyReload.Narrowed> narrowed = new ArrayList<>();
      for (LoadedModule m : modules.all()) {
        PolicyReload.Narrowed n = check(m, next, refused, reasons);
        if (n != null) {
          narrowed.add(n);
        }
      }
      List<PolicyReload.Stopped> stopped = stopRefused(refused, reasons);
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

  /**
   * A module launched after being admitted under {@code by}: if a reload happened meanwhile, checks
   * it against the policy in force now and stops it when refused.
   */
  void checkLateStart(LoadedModule m, Admission by) {
    Admission now = discovery.admission();
    if (by != now) {
      List<LoadedModule> refused = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      check(m, now, refused, reasons);
      stopRefused(refused, reasons);
    }
  }

  /**
   * Checks a running module against {@code a}: adds it (and why) to {@code refused}, or narrows its
   * capabilities; returns what it lost, or null.
   */
  private PolicyReload.Narrowed check(
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
  private List<PolicyReload.Stopped> stopRefused(List<LoadedModule> refused, List<String> reasons) {
    if (refused.isEmpty()) {
      return List.of();
    }
    relay.flush();
    for (int i = 0; i < refused.size(); i++) {
      LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", refused.get(i).id(), reasons.get(i));
    }
    stopInParallel(refused, reasons, stopGraceMs);
    List<PolicyReload.Stopped> out = new ArrayList<>();
    for (int i = 0; i < refused.size(); i++) {
      LoadedModule m = refused.get(i);
      out.add(new PolicyReload.Stopped(m.id(), reasons.get(i), m.host().state()));
    }
    return out;
  }

  /**
   * Stops each module (one {@code blvm-<module>-stop} thread each), with its reason (null: none);
   * returns when all have stopped.
   */
  static void stopInParallel(List<LoadedModule> ms, List<String> reasons, long graceMs) {
    List<Thread> stoppers = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) {
      LoadedModule m = ms.get(i);
      String why = reasons.get(i);
      Thread t = new Thread(() -> m.stop(graceMs, why), "blvm-" + m.id() + "-stop");
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
}
