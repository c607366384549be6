package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's per-module metrics through a real connection: reported series keep their labels,
 * requests are counted by method and result, denials by capability, bytes in and out match the
 * frames on the socket, events sent are counted, and the process usage is read from /proc.
 */
class LoaderMetricsTest {
  private static final Codec CODEC = Codec.withDefaults();

  @TempDir Path tmp;

  private static ModuleMetrics of(ModuleManager m, String id) {
    return m.metrics().modules().stream()
        .filter(x -> x.name().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private static long calls(ModuleMetrics m, String method, String result) {
    return m.calls().stream()
        .filter(c -> c.method().equals(method) && c.result().equals(result))
        .mapToLong(ModuleMetrics.Calls::count)
        .sum();
  }

  @Test
  void reportMetric_labelsKept_overTheWire_andRefusalsNameTheBound() throws Exception {
    try (LoaderFixture fx =
            new LoaderFixture(tmp).module("reporter", "\"report_metrics\"", "").start(b -> {});
        RawClient c = fx.handshake("reporter")) {
      c.send(
          request(
              1,
              "report_metric",
              new Api.MetricParams("blocks_seen", 2, Map.of("kind", "new_block"))));
      assertNull(c.expect(Message.Response.class).error());
      c.send(request(2, "report_metric", new Api.MetricParams("blocks_seen", 1, null)));
      assertNull(c.expect(Message.Response.class).error());
      c.send(request(3, "report_metric", new Api.MetricParams("bad-name", 1, Map.of())));
      Message.Response bad = c.expect(Message.Response.class);
      assertEquals(ErrorCode.INVALID_PARAMS, bad.error().code());
      assertTrue(bad.error().message().contains("[a-zA-Z_:][a-zA-Z0-9_:]*"), bad.error().message());
      c.send(
          request(
              4, "report_metric", new Api.MetricParams("m", 1, Map.of("module", "someone_else"))));
      assertEquals(ErrorCode.INVALID_PARAMS, c.expect(Message.Response.class).error().code());

      List<ReportedMetric> r = fx.manager.reportedMetrics("reporter");
      assertEquals(
          List.of(
              new ReportedMetric("blocks_seen", new TreeMap<>(), 1),
              new ReportedMetric("blocks_seen", new TreeMap<>(Map.of("kind", "new_block")), 2)),
          r);
      assertEquals(r, of(fx.manager, "reporter").reported());
    }
  }

  @Test
  void metrics_countCallsByMethodAndResult_denialsByCapability_bytesAndEvents() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .module("counted", "\"read_blockchain\", \"subscribe_events\"", "")
            .start(b -> {})) {
      long sentBytes = 0;
      RawClient c = fx.connect("counted");
      c.recording();
      c.hello(fx.launcher.token("counted"));
      Message[] requests = {
        request(1, "get_chain_tip", new Api.NoParams()),
        request(2, "get_chain_tip", new Api.NoParams()),
        request(3, "get_block", new Api.HashParams(LoaderFixture.H0)),
        request(4, "get_mempool_size", new Api.NoParams()),
        request(5, "no_such_method", new Api.NoParams()),
        request(6, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock"))),
      };
      for (Message m : requests) {
        c.send(m);
        sentBytes += CODEC.encodeFrame(m).length;
        c.expect(Message.Response.class);
      }
      fx.manager.publish(
          EventType.NewBlock,
          new EventPayloads.NewBlock(LoaderFixture.H1, 1, LoaderFixture.H0, 1700000000L, 1));
      Message.Event e = c.expect(Message.Event.class);
      while (!e.type().equals("NewBlock")) {
        e = c.expect(Message.Event.class);
      }

      ModuleMetrics m = of(fx.manager, "counted");
      assertEquals(ModuleState.SUBSCRIBED, m.state());
      assertEquals(2, calls(m, "get_chain_tip", "ok"));
      assertEquals(1, calls(m, "get_block", "NOT_FOUND"));
      assertEquals(1, calls(m, "get_mempool_size", "NOT_CAPABLE"));
      assertEquals(1, calls(m, "other", "UNKNOWN_METHOD"));
      assertEquals(1, calls(m, "subscribe_events", "ok"));
      assertEquals(Map.of("read_mempool", 1L), m.denials());
      assertEquals(1, fx.manager.deniedCalls("counted"));
      assertEquals(sentBytes, m.bytesIn(), "bytes in: the frames after the hello");
      // every frame the node wrote was read by the client: welcome, answers, events
      long readBytes = c.received.size() + 4L * countFrames(c);
      Poll.until(
          () -> of(fx.manager, "counted").bytesOut() == readBytes,
          Duration.ofSeconds(10),
          "bytes out to equal the " + readBytes + " bytes read");
      assertTrue(of(fx.manager, "counted").eventsSent() >= 1, "events sent");
      assertTrue(m.uptimeSeconds() > 0, "uptime");
      ModuleMetrics.ProcessUsage p = m.process().orElseThrow();
      assertTrue(p.processes() >= 1 && p.rssBytes() > 0 && p.cpuSeconds() > 0, p.toString());
      c.close();
    }
  }

  @Test
  void exposure_ofALoadedModule_itsGrantsAndDataDir_sandboxNotKnownToThisLauncher()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp).module("exposed", "\"read_network\"", "").start(b -> {})) {
      org.blvm.policy.ExposureReport r = fx.manager.exposure("exposed").orElseThrow();
      List<String> items = r.findings().stream().map(f -> f.item().id()).toList();
      assertTrue(items.contains("cap_read_network"), items.toString());
      org.blvm.policy.ExposureReport.Finding writable =
          r.findings().stream()
              .filter(f -> f.item() == org.blvm.policy.ExposureItem.WRITABLE_PATHS)
              .findFirst()
              .orElseThrow();
      assertTrue(writable.detail().endsWith("exposed"), writable.detail());
      // the in-process test launcher says nothing of its confinement: not scored, and said so
      assertTrue(r.notScored().get(0).startsWith("how its sandbox runs"), r.notScored().toString());
      assertTrue(fx.manager.exposure("nobody").isEmpty());
    }
  }

  private static int countFrames(RawClient c) {
    return c.framesRead;
  }

  private static Message.Request request(long id, String method, Object params) {
    return new Message.Request(id, method, CODEC.toTree(params));
  }
}
