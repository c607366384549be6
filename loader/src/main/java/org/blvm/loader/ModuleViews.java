package org.blvm.loader;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ExposureFacts;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.SecurityExposure;

/**
 * The host-facing read-only views {@link ModuleManager} delegates to: metrics, snapshots, security
 * exposure and per-module counters. It only reads what the registry, restart policy, history, audit
 * log and launcher hold; it changes nothing and holds no lock across a read of {@code /proc}.
 */
final class ModuleViews {
  private final LoaderConfig config;
  private final ModuleLauncher launcher;
  private final ModuleRegistry modules;
  private final RestartPolicy restarts;
  private final ModuleHistory history;
  private final AuditLog audit;
  private final Clock clock;
  private final ProcessTree processes;

  ModuleViews(
      LoaderConfig config,
      ModuleLauncher launcher,
      ModuleRegistry modules,
      RestartPolicy restarts,
      ModuleHistory history,
      AuditLog audit,
      Clock clock,
      ProcessTree processes) {
    this.config = config;
    this.launcher = launcher;
    this.modules = modules;
    this.restarts = restarts;
    this.history = history;
    this.audit = audit;
    this.clock = clock;
    this.processes = processes;
  }

  /**
   * What the loader measured for every module it knows, and the audit log's condition, now. Reads
   * counters without stopping any module and {@code /proc} for each running sandbox (bounded work:
   * docs/metrics.md); a module's traffic never waits for it.
   */
  LoaderMetrics metrics() {
    List<ModuleMetrics> out = new ArrayList<>();
    for (LoadedModule m : modules.all()) {
      out.add(m.metrics(restarts.restarts(m.id()), processes));
    }
    for (ModuleStatus refused : modules.refusedStatuses()) {
      out.add(
          new ModuleMetrics(
              refused.name(),
              refused.state(),
              restarts.restarts(refused.name()),
              0,
              List.of(),
              Map.of(),
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              0,
              Optional.empty(),
              List.of()));
    }
    out.sort(Comparator.comparing(ModuleMetrics::name));
    return new LoaderMetrics(out, audit.status());
  }

  /** Everything known about module {@code id} now; empty when no module of that name is known. */
  Optional<ModuleSnapshot> snapshot(String id) {
    LoadedModule m = modules.get(id).orElse(null);
    Optional<ModuleStatus> st = m != null ? Optional.of(m.host().status()) : modules.status(id);
    return st.map(s -> snapshot(s, m));
  }

  /** {@link #snapshot} of every module the manager knows, by name. */
  List<ModuleSnapshot> snapshots() {
    List<ModuleSnapshot> out = new ArrayList<>();
    for (ModuleStatus s : modules.statuses()) {
      snapshot(s.name()).ifPresent(out::add);
    }
    return out;
  }

  /** The snapshot of a loaded module {@code m}, or of one refused at admission ({@code m} null). */
  private ModuleSnapshot snapshot(ModuleStatus st, LoadedModule m) {
    ModuleHistory.Entry h = history.entry(st.name());
    Session s = m == null ? null : m.session();
    Connection c = m == null ? null : m.connection();
    List<String> signers = new ArrayList<>();
    List<String> subscriptions = new ArrayList<>();
    if (m != null) {
      m.admitted().signerKeyIds().forEach(k -> signers.add(k.toString()));
      subscriptions.addAll(s.subscriptions());
    }
    Collections.sort(signers);
    Collections.sort(subscriptions);
    return new ModuleSnapshot(
        st.name(),
        st.version(),
        st.state(),
        st.detail(),
        st.pid(),
        h == null ? clock.instant() : h.since(),
        h == null ? null : h.launchedAt(),
        signers,
        m != null && m.admitted().unsigned(),
        s == null ? Set.of() : s.granted(),
        m == null ? Set.of() : m.admitted().droppedCapabilities(),
        s == null ? null : s.policy(),
        m == null ? null : m.confinement(),
        restarts.restarts(st.name()),
        h == null ? null : h.lastExit(),
        c == null ? 0 : c.queuedFrames(),
        s == null ? 0 : s.counters().receivedCalls(),
        s == null ? 0 : s.counters().deniedTotal(),
        s == null ? 0 : s.counters().rateLimitedCalls(),
        s == null ? 0 : s.counters().eventsDropped(),
        s == null ? 0 : s.counters().overflows(),
        s == null ? 0 : s.counters().protocolErrors(),
        subscriptions,
        s == null ? List.of() : s.servedMethods());
  }

  /**
   * The security exposure of a loaded module (docs/security-score.md): what it is granted now (a
   * policy reload may have narrowed what admission granted), what its policy sets, and how this
   * manager's launcher confines it. Empty for a module that was refused at admission.
   */
  Optional<ExposureReport> exposure(String id) {
    return modules
        .get(id)
        .map(
            m -> {
              AdmittedModule a = m.admitted();
              ExposureFacts.Isolation isolation = launcher.isolation(id);
              boolean sandboxed =
                  isolation != ExposureFacts.Isolation.UNSANDBOXED
                      && isolation != ExposureFacts.Isolation.UNKNOWN;
              // the profile its launch resolves: the policy's, else the loader's for the runtime
              Optional<String> profile =
                  sandboxed
                      ? Optional.of(
                          LimitResolver.resolve(
                                  config.launchDefaults(),
                                  a.manifest().runtime(),
                                  m.session().policy())
                              .profile())
                      : Optional.empty();
              return SecurityExposure.assess(
                  ExposureFacts.of(a, profile, isolation, List.of(m.dataDir().toString()))
                      .withGranted(m.session().granted()));
            });
  }

  ModuleCounters counters(String id) {
    return modules.require(id).session().counters();
  }
}
