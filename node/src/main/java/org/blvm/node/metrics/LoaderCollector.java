package org.blvm.node.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.blvm.loader.LoaderMetrics;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleMetrics;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ReportedMetric;

/**
 * Turns {@link ModuleManager#metrics()} into Prometheus metric families on every scrape: the
 * loader's own per-module metrics ({@code blvm_loader_*}, labelled {@code module}) and what each
 * module reported ({@code blvm_module_<name>}, labelled {@code module} and the module's labels).
 * docs/metrics.md lists every family. A scrape only reads counters and {@code /proc}; it never
 * waits for a module.
 */
public final class LoaderCollector implements MultiCollector {
  /** Prefix of the metrics modules report. */
  public static final String MODULE_PREFIX = "blvm_module_";

  private final Supplier<LoaderMetrics> source;

  /**
   * @param source what to export, asked on every scrape ({@link ModuleManager#metrics})
   */
  public LoaderCollector(Supplier<LoaderMetrics> source) {
    this.source = source;
  }

  @Override
  public MetricSnapshots collect() {
    LoaderMetrics lm = source.get();
    List<ModuleMetrics> ms = lm.modules();
    List<MetricSnapshot> out = new ArrayList<>();

    GaugeSnapshot.Builder state =
        GaugeSnapshot.builder()
            .name("blvm_loader_module_state")
            .help("1 for the state the module is in, 0 for the others");
    for (ModuleMetrics m : ms) {
      for (ModuleState s : ModuleState.values()) {
        state.dataPoint(
            GaugeDataPointSnapshot.builder()
                .labels(Labels.of("module", m.name(), "state", s.name()))
                .value(m.state() == s ? 1 : 0)
                .build());
      }
    }
    out.add(state.build());
    out.add(
        counter(ms, "blvm_loader_module_restarts", "restarts after a failure", m -> m.restarts()));
    out.add(
        gauge(
            ms,
            "blvm_loader_module_uptime_seconds",
            "seconds since the module's current process was launched (0 when none runs)",
            ModuleMetrics::uptimeSeconds));

    CounterSnapshot.Builder calls =
        CounterSnapshot.builder()
            .name("blvm_loader_calls")
            .help("NodeAPI requests answered, by method and result (ok or the error code)");
    CounterSnapshot.Builder denials =
        CounterSnapshot.builder()
            .name("blvm_loader_denials")
            .help("requests refused for a missing capability or operator allowance, by capability");
    for (ModuleMetrics m : ms) {
      for (ModuleMetrics.Calls c : m.calls()) {
        calls.dataPoint(
            CounterDataPointSnapshot.builder()
                .labels(Labels.of("module", m.name(), "method", c.method(), "result", c.result()))
                .value(c.count())
                .build());
      }
      for (Map.Entry<String, Long> d : new TreeMap<>(m.denials()).entrySet()) {
        denials.dataPoint(
            CounterDataPointSnapshot.builder()
                .labels(Labels.of("module", m.name(), "capability", d.getKey()))
                .value(d.getValue())
                .build());
      }
    }
    out.add(calls.build());
    out.add(denials.build());
    out.add(
        counter(
            ms,
            "blvm_loader_rate_limited",
            "requests refused because the module was over its rate limit",
            ModuleMetrics::rateLimited));
    out.add(
        counter(
            ms,
            "blvm_loader_events_sent",
            "events taken from the module's queue to be written to its socket",
            ModuleMetrics::eventsSent));
    out.add(
        counter(
            ms,
            "blvm_loader_events_dropped",
            "events dropped from the module's full queue under drop_oldest",
            ModuleMetrics::eventsDropped));
    out.add(
        counter(
            ms,
            "blvm_loader_queue_overflows",
            "disconnects because the module's queue was full under disconnect",
            ModuleMetrics::queueOverflows));
    out.add(
        gauge(
            ms,
            "blvm_loader_queue_depth",
            "frames waiting in the module's outgoing queue",
            ModuleMetrics::queueDepth));
    out.add(
        counter(
            ms,
            "blvm_loader_socket_read_bytes",
            "frame bytes read from the module's socket",
            ModuleMetrics::bytesIn));
    out.add(
        counter(
            ms,
            "blvm_loader_socket_written_bytes",
            "frame bytes written to the module's socket",
            ModuleMetrics::bytesOut));
    out.add(
        counter(
            ms,
            "blvm_loader_protocol_violations",
            "protocol violations, each of which closed a connection",
            ModuleMetrics::protocolViolations));
    List<ModuleMetrics> running = new ArrayList<>();
    for (ModuleMetrics m : ms) {
      if (m.process().isPresent()) {
        running.add(m);
      }
    }
    out.add(
        gauge(
            running,
            "blvm_loader_sandbox_resident_memory_bytes",
            "resident memory of the module's sandbox processes (sum of VmRSS)",
            m -> m.process().orElseThrow().rssBytes()));
    out.add(
        counter(
            running,
            "blvm_loader_sandbox_cpu_seconds",
            "CPU time (user and system) of the module's sandbox processes and their reaped children",
            m -> m.process().orElseThrow().cpuSeconds()));
    out.add(
        gauge(
            running,
            "blvm_loader_sandbox_processes",
            "processes of the module's sandbox",
            m -> m.process().orElseThrow().processes()));

    out.add(
        GaugeSnapshot.builder()
            .name("blvm_loader_audit_writing")
            .help("1 while the audit log is written, 0 while writing it fails")
            .dataPoint(GaugeDataPointSnapshot.builder().value(lm.audit().writing() ? 1 : 0).build())
            .build());
    out.add(
        CounterSnapshot.builder()
            .name("blvm_loader_audit_lost_lines")
            .help("audit decisions that could not be written to the file")
            .dataPoint(CounterDataPointSnapshot.builder().value(lm.audit().linesLost()).build())
            .build());
    out.add(
        CounterSnapshot.builder()
            .name("blvm_loader_audit_dropped_lines")
            .help("audit decisions dropped because the audit queue was full")
            .dataPoint(CounterDataPointSnapshot.builder().value(lm.audit().linesDropped()).build())
            .build());

    out.addAll(reported(ms));
    return new MetricSnapshots(out);
  }

  /** The modules' own series: one gauge family per name, over every module that reported it. */
  private static List<MetricSnapshot> reported(List<ModuleMetrics> ms) {
    Map<String, GaugeSnapshot.Builder> families = new TreeMap<>();
    for (ModuleMetrics m : ms) {
      for (ReportedMetric r : m.reported()) {
        Labels.Builder labels = Labels.builder().label("module", m.name());
        r.labels().forEach(labels::label);
        families
            .computeIfAbsent(
                r.name(),
                n ->
                    GaugeSnapshot.builder()
                        .name(MODULE_PREFIX + n)
                        .help("reported by modules with report_metric: the last value"))
            .dataPoint(
                GaugeDataPointSnapshot.builder().labels(labels.build()).value(r.value()).build());
      }
    }
    List<MetricSnapshot> out = new ArrayList<>();
    families.values().forEach(b -> out.add(b.build()));
    return out;
  }

  private static CounterSnapshot counter(
      List<ModuleMetrics> ms, String name, String help, ToDoubleFunction<ModuleMetrics> value) {
    CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
    for (ModuleMetrics m : ms) {
      b.dataPoint(
          CounterDataPointSnapshot.builder()
              .labels(Labels.of("module", m.name()))
              .value(value.applyAsDouble(m))
              .build());
    }
    return b.build();
  }

  private static GaugeSnapshot gauge(
      List<ModuleMetrics> ms, String name, String help, ToDoubleFunction<ModuleMetrics> value) {
    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
    for (ModuleMetrics m : ms) {
      b.dataPoint(
          GaugeDataPointSnapshot.builder()
              .labels(Labels.of("module", m.name()))
              .value(value.applyAsDouble(m))
              .build());
    }
    return b.build();
  }
}
