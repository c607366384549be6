package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.junit.jupiter.api.Test;

/** Each bound of report_metric: the value at the bound is recorded, one past it is refused. */
class ReportedMetricsTest {
  private final ReportedMetrics m = new ReportedMetrics();

  private static void refused(ErrorValue e, ErrorCode code, String... inMessage) {
    assertNotNull(e, "expected a refusal");
    assertEquals(code, e.code(), e.message());
    for (String s : inMessage) {
      assertTrue(e.message().contains(s), () -> "\"" + s + "\" not in: " + e.message());
    }
  }

  @Test
  void report_keepsLabels_andTheLastValuePerSeries() {
    assertNull(m.report("blocks_seen", Map.of("kind", "new_block"), 1));
    assertNull(m.report("blocks_seen", Map.of("kind", "new_block"), 2));
    assertNull(m.report("blocks_seen", Map.of("kind", "reorg"), 5));
    assertNull(m.report("blocks_seen", Map.of(), 7));
    List<ReportedMetric> s = m.snapshot();
    assertEquals(3, s.size());
    assertEquals(new ReportedMetric("blocks_seen", new TreeMap<>(), 7), s.get(0));
    assertEquals(
        new ReportedMetric("blocks_seen", new TreeMap<>(Map.of("kind", "new_block")), 2), s.get(1));
    assertEquals(
        new ReportedMetric("blocks_seen", new TreeMap<>(Map.of("kind", "reorg")), 5), s.get(2));
  }

  @Test
  void name_lengthAtTheBound_allowed_overIt_invalidParams() {
    assertNull(m.report("a".repeat(64), Map.of(), 1));
    refused(m.report("a".repeat(65), Map.of(), 1), ErrorCode.INVALID_PARAMS, "65", "at most 64");
  }

  @Test
  void name_prometheusRule() {
    assertNull(m.report("_a:b_9", Map.of(), 1));
    assertNull(m.report("Z", Map.of(), 1));
    for (String bad : new String[] {"", "9a", "a-b", "a.b", "a b", "é"}) {
      refused(m.report(bad, Map.of(), 1), ErrorCode.INVALID_PARAMS, "[a-zA-Z_:][a-zA-Z0-9_:]*");
    }
  }

  @Test
  void labelsPerMetric_eightAllowed_nineInvalidParams() {
    Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < 8; i++) {
      labels.put("k" + i, "v");
    }
    assertNull(m.report("m", labels, 1));
    labels.put("k8", "v");
    refused(m.report("m", labels, 1), ErrorCode.INVALID_PARAMS, "9 labels", "at most 8");
  }

  @Test
  void labelKey_lengthAndRule() {
    assertNull(m.report("m", Map.of("k".repeat(64), "v"), 1));
    refused(m.report("m", Map.of("k".repeat(65), "v"), 1), ErrorCode.INVALID_PARAMS, "at most 64");
    for (String bad : new String[] {"", "9a", "a:b", "a-b", "__reserved"}) {
      refused(
          m.report("m", Map.of(bad, "v"), 1), ErrorCode.INVALID_PARAMS, "[a-zA-Z_][a-zA-Z0-9_]*");
    }
    refused(m.report("m", Map.of("module", "other"), 1), ErrorCode.INVALID_PARAMS, "module");
  }

  @Test
  void labelValue_128CharactersAllowed_129InvalidParams() {
    assertNull(m.report("m", Map.of("k", "v".repeat(128)), 1));
    // counted in characters, not UTF-16 units: 128 emoji are allowed
    assertNull(m.report("m", Map.of("k", "\uD83D\uDE00".repeat(128)), 1));
    refused(
        m.report("m", Map.of("k", "v".repeat(129)), 1),
        ErrorCode.INVALID_PARAMS,
        "129 characters",
        "at most 128");
  }

  @Test
  void names_100Allowed_101stRateLimited_existingNamesStillUpdate() {
    for (int i = 0; i < 100; i++) {
      assertNull(m.report("n" + i, Map.of(), i));
    }
    refused(
        m.report("n100", Map.of(), 1), ErrorCode.RATE_LIMITED, "at most 100 distinct metric names");
    assertNull(m.report("n5", Map.of(), 42), "an existing name keeps updating");
    assertNull(m.report("n5", Map.of("k", "new"), 1), "a new series of an existing name is fine");
    assertEquals(101, m.snapshot().size());
  }

  @Test
  void series_1000Allowed_1001stRateLimited_existingSeriesStillUpdate() {
    for (int i = 0; i < 1000; i++) {
      assertNull(m.report("s" + (i % 10), Map.of("i", Integer.toString(i)), i));
    }
    refused(m.report("s0", Map.of("i", "1000"), 1), ErrorCode.RATE_LIMITED, "at most 1000 series");
    refused(m.report("other", Map.of(), 1), ErrorCode.RATE_LIMITED, "at most 1000 series");
    assertNull(m.report("s3", Map.of("i", "3"), -1), "an existing series keeps updating");
    assertEquals(1000, m.snapshot().size());
  }
}
