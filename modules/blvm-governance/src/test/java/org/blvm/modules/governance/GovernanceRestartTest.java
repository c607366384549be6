package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole module in this JVM against a scripted node ({@link FakeNode}): {@code max_outbox} and
 * the backoff settings of a config reload apply at the module's next start, not before. The node
 * refuses every {@code net_connect}, so each delivery attempt fails and the module reports the
 * delay its backoff drew; the test reads those reports and never waits out a delay.
 */
@Timeout(60)
class GovernanceRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String ID = "blvm-governance";
  private static final Pattern RETRY =
      Pattern.compile("attempt \\d+ of (\\S+) .* retry in (\\d+) ms");

  @TempDir Path tmp;

  private final AtomicLong seq = new AtomicLong(1);

  /** One run of the module: its node, the log lines it sent, the thread running it. */
  private final class Run implements AutoCloseable {
    final FakeNode node;
    final List<String> logs = new CopyOnWriteArrayList<>();
    final List<JsonNode> published = new CopyOnWriteArrayList<>();
    final AtomicInteger exit = new AtomicInteger(-1);
    final Thread thread;

    Run(String name, String ownConfig) throws Exception {
      Path data = tmp.resolve("data");
      Files.createDirectories(data);
      node = FakeNode.start(Files.createDirectories(tmp.resolve(name)));
      node.welcomeAs(
              ID,
              List.of(
                  Capability.SUBSCRIBE_EVENTS,
                  Capability.READ_BLOCKCHAIN,
                  Capability.READ_CONFIG,
                  Capability.NETWORK_CONNECT,
                  Capability.PUBLISH_EVENTS),
              data.toString())
          .welcomeConfig(new ObjectMapper().readTree(ownConfig))
          .respondWith(
              r -> {
                if (r.method().equals(NodeMethod.NET_CONNECT.wireName())) {
                  return Message.Response.error(
                      r.id(), ErrorValue.of(ErrorCode.UNAVAILABLE, "refused by the test"));
                }
                if (r.method().equals(NodeMethod.PUBLISH_EVENT.wireName())) {
                  return Message.Response.ok(
                      r.id(), FakeNode.JSON.objectNode().put("delivered", 0));
                }
                return null;
              });
      String[] args = {
        "--blvm-socket=" + node.socket(), "--blvm-token=" + FakeNode.TOKEN,
      };
      thread =
          new Thread(
              () -> {
                try {
                  exit.set(new Governance().run(args));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "governance-under-test-" + name);
      thread.setDaemon(true);
      thread.start();
      Thread collector =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Message m = node.inbox().take();
                    if (m instanceof Message.Log l) {
                      logs.add(l.level() + " " + l.message());
                    } else if (m instanceof Message.Request r
                        && r.method().equals(NodeMethod.PUBLISH_EVENT.wireName())) {
                      published.add(r.params());
                    }
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "governance-log-collector-" + name);
      collector.setDaemon(true);
      collector.start();
      awaitLog("running:");
    }

    /** A reload: the own section and a receiver nobody can reach (the node refuses it). */
    void configLoaded(String ownConfig) throws Exception {
      String json =
          "{\"governance\":{\"webhook_url\":\"http://127.0.0.1:9/hook\",\"node_id\":\"n1\","
              + "\"webhook_secret\":\"0123456789abcdef0123\"},\"modules\":{\""
              + ID
              + "\":"
              + ownConfig
              + "}}";
      node.send(
          new Message.Event(
              seq.getAndIncrement(),
              EventType.ConfigLoaded.wireName(),
              null,
              FakeNode.CODEC.toTree(
                  new EventPayloads.ConfigLoaded(List.of("governance", "modules." + ID), json))));
    }

    void governanceEvent(String nodeId) throws Exception {
      node.send(
          new Message.Event(
              seq.getAndIncrement(),
              EventType.EconomicNodeRegistered.wireName(),
              null,
              FakeNode.CODEC.toTree(new EventPayloads.EconomicNodeRegistered(nodeId, "x"))));
    }

    /**
     * Waits until the module has handled every event sent before: the events are handled in order,
     * and an {@code EventsDropped} is answered with a log line.
     */
    void settle() throws Exception {
      long n = seq.getAndIncrement();
      node.send(
          new Message.Event(
              n,
              EventType.EventsDropped.wireName(),
              null,
              FakeNode.CODEC.toTree(new EventPayloads.EventsDropped(n, 1, 1))));
      awaitLog(n + " events dropped");
    }

    String awaitLog(String part) throws InterruptedException {
      Poll.until(
          () -> logs.stream().anyMatch(l -> l.contains(part)), WAIT, "a log line with " + part);
      return logs.stream().filter(l -> l.contains(part)).findFirst().orElseThrow();
    }

    long count(String part) {
      return logs.stream().filter(l -> l.contains(part)).count();
    }

    /** The retry delays the module reported, in order. */
    List<Long> retryDelays() {
      return logs.stream()
          .map(RETRY::matcher)
          .filter(Matcher::find)
          .map(m -> Long.parseLong(m.group(2)))
          .toList();
    }

    @Override
    public void close() throws Exception {
      node.close(); // the connection drops: the module stops and returns
      thread.join(WAIT.toMillis());
      assertFalse(thread.isAlive(), "the module did not stop");
      assertEquals(0, exit.get());
    }
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
    try (Run first = new Run("first", own(2, 10))) {
      first.configLoaded(later);
      first.awaitLog("config applied");
      for (int i = 1; i <= 3; i++) {
        first.governanceEvent("econ-" + i);
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
          first.published.stream()
              .filter(p -> p.path("type").asText().equals(Governance.FAILED))
              .map(p -> p.path("payload"))
              .filter(p -> p.path("final").asBoolean())
              .toList();
      assertEquals(1, finals.size(), first.published.toString());
      assertEquals(oldest, finals.get(0).path("idempotency_key").asText());
      assertEquals("outbox full: dropped", finals.get(0).path("reason").asText());
      // still the 10 ms backoff: attempts follow one another, each delay at most 10 ms
      Poll.until(() -> first.retryDelays().size() >= 3, WAIT, "three failed attempts");
      assertTrue(
          first.retryDelays().stream().allMatch(d -> d <= 10), first.retryDelays()::toString);
    }

    try (Run second = new Run("second", later)) {
      assertTrue(
          second.awaitLog("running:").contains("2 notifications in the outbox"),
          second.logs.toString());
      second.configLoaded(later);
      // now the 3600000 ms backoff: the first failure waits between half of it and all of it
      Poll.until(() -> !second.retryDelays().isEmpty(), WAIT, "a failed attempt");
      long delay = second.retryDelays().get(0);
      assertTrue(delay >= 1_800_000 && delay <= 3_600_000, Long.toString(delay));
      // and max_outbox 5: two waiting plus four queued drops exactly one
      for (int i = 4; i <= 7; i++) {
        second.governanceEvent("econ-" + i);
      }
      second.settle();
      assertEquals(4, second.count("queued "), second.logs.toString());
      assertEquals(1, second.count("outbox full (max_outbox): dropped"), second.logs.toString());
      assertEquals(1, second.retryDelays().size(), "no second attempt within the backoff");
    }
  }
}
