package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole module in this JVM against a scripted node ({@link ModuleRun}): {@code max_outbox} and
 * the backoff settings of a config reload apply at the module's next start, not before. The node
 * refuses every {@code net_connect}, so each delivery attempt fails and the module reports the
 * delay its backoff drew; the test reads those reports and never waits out a delay.
 */
@Timeout(60)
class GovernanceRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern RETRY =
      Pattern.compile("attempt \\d+ of (\\S+) .* retry in (\\d+) ms");

  @TempDir Path tmp;

  private static final String RECEIVER = ModuleRun.governance("http://127.0.0.1:9/hook", "n1");

  /** The retry delays the module reported, in order. */
  private static List<Long> retryDelays(ModuleRun r) {
    return r.logs.stream()
        .map(RETRY::matcher)
        .filter(Matcher::find)
        .map(m -> Long.parseLong(m.group(2)))
        .toList();
  }

  private ModuleRun run(String name, String ownConfig) throws Exception {
    return ModuleRun.start(tmp, name, ownConfig, Clock.systemUTC(), false);
  }

  private static String own(int maxOutbox, int backoffMs) {
    return "{\"status_every_blocks\":0,\"max_outbox\":"
        + maxOutbox
        + ",\"backoff_initial_ms\":"
        + backoffMs
        + ",\"backoff_max_ms\":"
        + backoffMs
        + "}";
  }

  @Test
  void maxOutboxAndBackoff_ofAReload_applyAtTheNextStart() throws Exception {
    String later = own(5, 3_600_000);
    try (ModuleRun first = run("first", own(2, 10))) {
      first.configLoaded(RECEIVER, later);
      first.awaitLog("config applied");
      for (int i = 1; i <= 3; i++) {
        first.governanceEvent("econ-" + i, "x");
      }
      first.settle();
      // still max_outbox 2: the third notification drops the oldest
      assertEquals(3, first.count("queued "), first.logs.toString());
      assertEquals(1, first.count("outbox full (max_outbox): dropped"), first.logs.toString());
      // the overflow rule: the oldest goes, with a WARN and a final governance.webhook_failed
      String oldest = first.awaitLog("queued ").split(" ")[2];
      assertTrue(
          first.awaitLog("outbox full").endsWith("dropped " + oldest + " EconomicNodeRegistered"),
          first.logs.toString());
      List<JsonNode> finals =
          first.publishedOn(Governance.FAILED).stream()
              .filter(p -> p.path("final").asBoolean())
              .toList();
      assertEquals(1, finals.size(), first.published.toString());
      assertEquals(oldest, finals.get(0).path("idempotency_key").asText());
      assertEquals("outbox full: dropped", finals.get(0).path("reason").asText());
      // still the 10 ms backoff: attempts follow one another, each delay at most 10 ms
      Poll.until(() -> retryDelays(first).size() >= 3, WAIT, "three failed attempts");
      assertTrue(retryDelays(first).stream().allMatch(d -> d <= 10), retryDelays(first)::toString);
      assertEquals(0, first.stop());
    }

    try (ModuleRun second = run("second", later)) {
      assertTrue(
          second.awaitLog("running:").contains("2 notifications in the outbox"),
          second.logs.toString());
      second.configLoaded(RECEIVER, later);
      // now the 3600000 ms backoff: the first failure waits between half of it and all of it
      Poll.until(() -> !retryDelays(second).isEmpty(), WAIT, "a failed attempt");
      long delay = retryDelays(second).get(0);
      assertTrue(delay >= 1_800_000 && delay <= 3_600_000, Long.toString(delay));
      // and max_outbox 5: two waiting plus four queued drops exactly one
      for (int i = 4; i <= 7; i++) {
        second.governanceEvent("econ-" + i, "x");
      }
      second.settle();
      assertEquals(4, second.count("queued "), second.logs.toString());
      assertEquals(1, second.count("outbox full (max_outbox): dropped"), second.logs.toString());
      assertEquals(1, retryDelays(second).size(), "no second attempt within the backoff");
      assertEquals(0, second.stop());
    }
  }

  @Test
  void maxOutbox_lowered_warnedAtTheReload_theOldestBeyondItDroppedAtTheNextStart()
      throws Exception {
    List<String> keys;
    try (ModuleRun first = run("first", own(5, 10))) {
      first.configLoaded(RECEIVER, own(2, 10));
      assertEquals(
          "WARN max_outbox 2 and backoff 10..10 ms apply at the next start of the module; in use"
              + " until then: max_outbox 5, backoff 10..10 ms",
          first.awaitLog("apply at the next start"));
      for (int i = 1; i <= 4; i++) {
        first.governanceEvent("econ-" + i, "x");
      }
      first.settle();
      assertEquals(0, first.count("outbox full"), "still max_outbox 5: " + first.logs);
      keys =
          first.logs.stream()
              .filter(l -> l.startsWith("INFO queued "))
              .map(l -> l.split(" ")[2])
              .toList();
      assertEquals(4, keys.size(), first.logs.toString());
      assertEquals(0, first.stop());
    }

    try (ModuleRun second = run("second", own(2, 10))) {
      assertTrue(
          second.awaitLog("running:").contains("2 notifications in the outbox"),
          second.logs.toString());
      assertEquals(
          List.of(
              "ERROR outbox holds more than max_outbox: dropped " + keys.get(0),
              "ERROR outbox holds more than max_outbox: dropped " + keys.get(1)),
          second.logs.stream().filter(l -> l.contains("more than max_outbox")).toList());
      second.settle();
      assertEquals(
          List.of(),
          second.publishedOn(Governance.FAILED).stream()
              .filter(p -> p.path("final").asBoolean())
              .toList(),
          "a drop at start is not published");
      assertEquals(0, second.stop());
    }
  }
}
