package org.blvm.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.blvm.loader.AuditStatus;
import org.blvm.loader.LoaderMetrics;
import org.blvm.loader.ModuleMetrics;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ReportedMetric;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exposition of a loader snapshot: every family with its labels and values, the modules' series
 * prefixed and labelled with the module, and promtool accepts the text.
 */
class LoaderCollectorTest {
  @TempDir Path tmp;

  private static ModuleMetrics running() {
    return new ModuleMetrics(
        "fee-watch",
        ModuleState.STARTED,
        2,
        12.5,
        List.of(
            new ModuleMetrics.Calls("get_block", "ok", 5),
            new ModuleMetrics.Calls("get_mempool_size", "NOT_CAPABLE", 1)),
        Map.of("read_mempool", 1L),
        3,
        40,
        4,
        1,
        6,
        1000,
        2000,
        1,
        Optional.of(new ModuleMetrics.ProcessUsage(3, 50L << 20, 1.25)),
        List.of(
            new ReportedMetric("blocks_seen", new TreeMap<>(Map.of("kind", "new_block")), 2),
            new ReportedMetric("blocks_seen", new TreeMap<>(), 9)));
  }

  private static ModuleMetrics refused() {
    return new ModuleMetrics(
        "broken",
        ModuleState.FAILED,
        0,
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
        List.of());
  }

  static String text(LoaderMetrics m) throws Exception {
    PrometheusRegistry r = new PrometheusRegistry();
    r.register(new LoaderCollector(() -> m));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, r.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void line(String text, String line) {
    assertTrue(text.lines().anyMatch(line::equals), () -> "no line\n" + line + "\nin\n" + text);
  }

  @Test
  void collect_everyFamilyWithItsLabels() throws Exception {
    String t =
        text(
            new LoaderMetrics(
                List.of(refused(), running()),
                new AuditStatus(false, 7, 8, Optional.of("disk full"))));
    line(t, "blvm_loader_module_state{module=\"fee-watch\",state=\"STARTED\"} 1.0");
    line(t, "blvm_loader_module_state{module=\"fee-watch\",state=\"FAILED\"} 0.0");
    line(t, "blvm_loader_module_state{module=\"broken\",state=\"FAILED\"} 1.0");
    line(t, "blvm_loader_module_restarts_total{module=\"fee-watch\"} 2.0");
    line(t, "blvm_loader_module_uptime_seconds{module=\"fee-watch\"} 12.5");
    line(t, "blvm_loader_calls_total{method=\"get_block\",module=\"fee-watch\",result=\"ok\"} 5.0");
    line(
        t,
        "blvm_loader_calls_total{method=\"get_mempool_size\",module=\"fee-watch\","
            + "result=\"NOT_CAPABLE\"} 1.0");
    line(t, "blvm_loader_denials_total{capability=\"read_mempool\",module=\"fee-watch\"} 1.0");
    line(t, "blvm_loader_rate_limited_total{module=\"fee-watch\"} 3.0");
    line(t, "blvm_loader_events_sent_total{module=\"fee-watch\"} 40.0");
    line(t, "blvm_loader_events_dropped_total{module=\"fee-watch\"} 4.0");
    line(t, "blvm_loader_queue_overflows_total{module=\"fee-watch\"} 1.0");
    line(t, "blvm_loader_queue_depth{module=\"fee-watch\"} 6.0");
    line(t, "blvm_loader_socket_read_bytes_total{module=\"fee-watch\"} 1000.0");
    line(t, "blvm_loader_socket_written_bytes_total{module=\"fee-watch\"} 2000.0");
    line(t, "blvm_loader_protocol_violations_total{module=\"fee-watch\"} 1.0");
    line(t, "blvm_loader_sandbox_resident_memory_bytes{module=\"fee-watch\"} 5.24288E7");
    line(t, "blvm_loader_sandbox_cpu_seconds_total{module=\"fee-watch\"} 1.25");
    line(t, "blvm_loader_sandbox_processes{module=\"fee-watch\"} 3.0");
    assertTrue(!t.contains("blvm_loader_sandbox_processes{module=\"broken\"}"), t);
    line(t, "blvm_loader_audit_writing 0.0");
    line(t, "blvm_loader_audit_lost_lines_total 7.0");
    line(t, "blvm_loader_audit_dropped_lines_total 8.0");
    line(t, "# TYPE blvm_module_blocks_seen gauge");
    line(t, "blvm_module_blocks_seen{kind=\"new_block\",module=\"fee-watch\"} 2.0");
    line(t, "blvm_module_blocks_seen{module=\"fee-watch\"} 9.0");
    promtool(tmp, t);
  }

  @Test
  void collect_noModules_stillValid() throws Exception {
    promtool(
        tmp, text(new LoaderMetrics(List.of(), new AuditStatus(true, 0, 0, Optional.empty()))));
  }

  /** Runs {@code promtool check metrics} on {@code text}; it must exit 0. */
  static void promtool(Path tmp, String text) throws Exception {
    Path promtool = Path.of("/usr/bin/promtool");
    if (!Files.isExecutable(promtool)) {
      String msg = "promtool (Debian package prometheus) is not installed";
      if (Boolean.getBoolean("blvm.requireIntegration")) {
        throw new AssertionError(msg);
      }
      Assumptions.abort(msg);
    }
    Path f = Files.createTempFile(tmp, "scrape", ".prom");
    Files.writeString(f, text);
    Process p =
        new ProcessBuilder(promtool.toString(), "check", "metrics")
            .redirectInput(f.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out + "\non\n" + text);
  }
}
