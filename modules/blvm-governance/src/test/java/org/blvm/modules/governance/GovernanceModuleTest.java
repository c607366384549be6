package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole module in this JVM ({@link ModuleRun}) delivering over the brokered connection to a JDK
 * {@code HttpServer} of the test, with a clock the test moves: the events it publishes, key by key;
 * the config rules at start and on a reload; {@code status_every_blocks} after a reload; an
 * oversized notification.
 */
@Timeout(60)
class GovernanceModuleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long START = 1_700_000_000_000L;
  private static final Duration WAIT = ModuleRun.WAIT;

  @TempDir Path tmp;

  private final SettableClock clock = new SettableClock(START);
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Integer> answers = new LinkedBlockingQueue<>();
  private HttpServer server;
  private String governance;

  /** One request the receiver got. */
  record Received(String path, JsonNode body) {}

  private final List<java.io.Closeable> closeAfter = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopReceiver() throws Exception {
    if (server != null) {
      server.stop(0);
    }
    for (java.io.Closeable c : closeAfter) {
      c.close();
    }
  }

  /** A receiver answering the queued statuses in turn, then 200; returns its URL's prefix. */
  private String receiver(Integer... statuses) throws Exception {
    answers.addAll(List.of(statuses));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          byte[] body = x.getRequestBody().readAllBytes();
          received.add(
              new Received(
                  x.getRequestURI().toString(),
                  JSON.readTree(new String(body, StandardCharsets.UTF_8))));
          Integer status = answers.poll();
          x.sendResponseHeaders(status == null ? 200 : status, -1);
          x.close();
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /**
   * A receiver answering 200 and the module configured for it ({@link #governance}), every {@code
   * statusEvery} blocks.
   */
  private ModuleRun delivering(String name, String path, int statusEvery) throws Exception {
    governance = ModuleRun.governance(receiver() + path, "n1");
    ModuleRun run = ModuleRun.start(tmp, name, own(statusEvery), clock, true);
    run.configLoaded(governance, own(statusEvery));
    return run;
  }

  private static String own(int statusEvery) {
    return "{\"status_every_blocks\":"
        + statusEvery
        + ",\"backoff_initial_ms\":10,\"backoff_max_ms\":10}";
  }

  /** Equal as JSON text reads them (a number's node type depends on how it travelled). */
  private static void assertJson(JsonNode expected, JsonNode actual) throws Exception {
    assertEquals(JSON.readTree(expected.toString()), JSON.readTree(actual.toString()));
  }

  /** A log line: how it starts and what it holds. */
  private static void assertLine(String line, String start, String... parts) {
    assertTrue(line.startsWith(start), line);
    for (String p : parts) {
      assertTrue(line.contains(p), line + " holds " + p);
    }
  }

  private static Set<String> keys(JsonNode n) {
    Set<String> k = new TreeSet<>();
    n.fieldNames().forEachRemaining(k::add);
    return k;
  }

  /** The key the module logged for its {@code i}th queued notification (0 first). */
  private static String queuedKey(ModuleRun run, int i) {
    return run.logs.stream()
        .filter(l -> l.startsWith("INFO queued "))
        .toList()
        .get(i)
        .split(" ")[2];
  }

  @Test
  void deliveredAndFailed_payloadsAsDocumented_urlWithoutItsQuery() throws Exception {
    String base = receiver(503);
    String url = base + "/hooks/gov?token=query-secret-1234";
    try (ModuleRun run = ModuleRun.start(tmp, "payloads", own(0), clock, true)) {
      run.configLoaded(ModuleRun.governance(url, "node-eu-1"), own(0));
      run.awaitLog("webhook target");
      run.governanceEvent("econ-1", "Econ One");
      Poll.until(() -> !run.publishedOn(Governance.FAILED).isEmpty(), WAIT, "a failed attempt");
      String key = queuedKey(run, 0);
      String shown = base + "/hooks/gov";

      JsonNode failed = run.publishedOn(Governance.FAILED).get(0);
      long retryIn = failed.path("retry_in_ms").asLong();
      assertTrue(retryIn >= 5 && retryIn <= 10, failed.toString());
      ObjectNode expectFailed =
          JSON.createObjectNode()
              .put("idempotency_key", key)
              .put("type", "EconomicNodeRegistered")
              .put("url", shown)
              .put("attempts", 1)
              .put("reason", "the receiver answered 503")
              .put("final", false)
              .put("retry_in_ms", retryIn);
      assertJson(expectFailed, failed);

      // the retry waits for the module's clock, which only the test moves
      assertEquals(1, received.size());
      clock.advance(Duration.ofMillis(10));
      Poll.until(
          () -> !run.publishedOn(Governance.DELIVERED).isEmpty(), WAIT, "delivered on the retry");
      ObjectNode expectDelivered =
          JSON.createObjectNode()
              .put("idempotency_key", key)
              .put("type", "EconomicNodeRegistered")
              .put("url", shown)
              .put("attempts", 2)
              .put("status", 200);
      assertJson(expectDelivered, run.publishedOn(Governance.DELIVERED).get(0));
      assertEquals(1, run.publishedOn(Governance.FAILED).size());
      assertTrue(key.matches("gov-[0-9a-f]{32}"), key);
      // one connection per attempt, brokered to the URL's host and port
      String hostPort = base.substring("http://".length());
      assertEquals(List.of(hostPort, hostPort), run.connects);
      assertEquals(
          "INFO delivered "
              + key
              + " EconomicNodeRegistered to "
              + shown
              + " status=200 attempts=2",
          run.awaitLog("delivered "));
      assertEquals(
          "WARN attempt 1 of "
              + key
              + " to "
              + shown
              + " failed: the receiver answered 503; retry in "
              + retryIn
              + " ms",
          run.awaitLog("attempt 1 of "));

      // the receiver got the query (the token is the receiver's), the same body twice
      assertEquals(2, received.size());
      assertEquals("/hooks/gov?token=query-secret-1234", received.get(1).path());
      ObjectNode body = JSON.createObjectNode();
      body.put("idempotency_key", key)
          .put("type", "EconomicNodeRegistered")
          .put("node_id", "node-eu-1")
          .put("created_at", START)
          .putObject("event")
          .put("node_id", "econ-1")
          .put("name", "Econ One");
      assertJson(body, received.get(0).body());
      assertJson(body, received.get(1).body());
      // ... and the query is in no event and no log line
      assertTrue(
          Stream.concat(run.published.stream().map(JsonNode::toString), run.logs.stream())
              .noneMatch(s -> s.contains("query-secret-1234")),
          run.published + " " + run.logs);
      assertEquals(0, run.stop());
    }
  }

  @Test
  void droppedFromAFullOutbox_finalFailedPayloadAsDocumented() throws Exception {
    String own = "{\"status_every_blocks\":0,\"max_outbox\":1,\"backoff_initial_ms\":10}";
    try (ModuleRun run = ModuleRun.start(tmp, "dropped", own, clock, false)) {
      run.configLoaded(ModuleRun.governance("http://127.0.0.1:9/hook?t=query-secret", "n1"), own);
      run.governanceEvent("econ-1", "x");
      Poll.until(() -> !run.publishedOn(Governance.FAILED).isEmpty(), WAIT, "a failed attempt");
      JsonNode first = run.publishedOn(Governance.FAILED).get(0);
      assertTrue(
          first.path("reason").asText().startsWith("connect to 127.0.0.1:9: "), first.toString());
      // the clock stands still: no second attempt; the next notification drops the first
      run.governanceEvent("econ-2", "x");
      run.settle();
      List<JsonNode> failed = run.publishedOn(Governance.FAILED);
      assertEquals(2, failed.size(), failed.toString());
      ObjectNode expect =
          JSON.createObjectNode()
              .put("idempotency_key", queuedKey(run, 0))
              .put("type", "EconomicNodeRegistered")
              .put("url", "http://127.0.0.1:9/hook")
              .put("attempts", 1)
              .put("reason", "outbox full: dropped")
              .put("final", true)
              .putNull("retry_in_ms");
      assertJson(expect, failed.get(1));
      assertEquals(
          Set.of("idempotency_key", "type", "url", "attempts", "reason", "final", "retry_in_ms"),
          keys(first));
      assertEquals(0, run.stop());
    }
  }

  @Test
  void invalidConfigAtStart_loggedAndExitStatus4() throws Exception {
    try (ModuleRun run =
        new ModuleRun(tmp, "invalid", "{\"max_outbox\":0,\"colour\":\"red\"}", clock, false)) {
      assertEquals(4, run.awaitExit());
      String line = run.awaitLog("invalid config: ");
      assertLine(
          line,
          "ERROR invalid config: ",
          "unknown key \"colour\"",
          "max_outbox must be an integer from 1 to 100000, found 0");
      assertEquals(List.of(), run.connects);
    }
  }

  @Test
  void invalidReload_keepsTheLastGoodSettings_deliveryGoesOnToTheSameUrl() throws Exception {
    try (ModuleRun run = delivering("reload", "/a", 0)) {
      run.configLoaded(governance, own(2));
      run.awaitLog("config applied: status every 2 blocks");
      run.configLoaded(governance, "{\"status_every_blocks\":\"often\",\"colour\":\"red\"}");
      String refused = run.awaitLog("config refused");
      assertLine(
          refused,
          "ERROR config refused, keeping the last good one: ",
          "unknown key \"colour\"",
          "status_every_blocks must be an integer");
      // still every 2 blocks (the defaults would say 10), still delivering to the same URL
      run.newBlock(4);
      run.governanceEvent("econ-1", "x");
      Poll.until(() -> received.size() == 2, WAIT, "both delivered");
      assertEquals(List.of("/a", "/a"), received.stream().map(Received::path).toList());
      assertEquals(
          List.of("status", "EconomicNodeRegistered"),
          received.stream().map(r -> r.body().path("type").asText()).toList());
      assertEquals(0, run.stop());
    }
  }

  @Test
  void reloadWithoutItsTable_orWithAnOverlongNumber_refused_theLastGoodSettingsKept()
      throws Exception {
    try (ModuleRun run = delivering("no-table", "/t", 0)) {
      run.configLoaded(governance, own(2));
      run.awaitLog("config applied: status every 2 blocks");
      run.configLoadedJson("{\"governance\":" + governance + "}");
      String refused = run.awaitLog("no table modules.");
      assertEquals(
          "ERROR config refused, keeping the last good one: no table modules." + ModuleRun.ID,
          refused);
      run.configLoaded(governance, "{\"status_every_blocks\":18446744073709551618}");
      assertLine(
          run.awaitLog("status_every_blocks must be an integer"),
          "ERROR config refused, keeping the last good one: ",
          "found 18446744073709551618");
      // still every 2 blocks, still delivering to the same URL
      run.newBlock(4);
      run.governanceEvent("econ-1", "x");
      Poll.until(() -> received.size() == 2, WAIT, "both delivered");
      assertEquals(List.of("/t", "/t"), received.stream().map(Received::path).toList());
      assertEquals("status", received.get(0).body().path("type").asText());
      assertEquals(1, run.count("config applied"), run.logs.toString());
      assertEquals(0, run.stop());
    }
  }

  /** A receiver that accepts connections and never answers; returns its URL. */
  private String stalledReceiver() throws Exception {
    ServerSocket stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closeAfter.add(stalled);
    Thread t =
        new Thread(
            () -> {
              try {
                while (true) {
                  closeAfter.add(stalled.accept());
                }
              } catch (java.io.IOException e) {
                // closed at the end of the test
              }
            },
            "stalled-receiver");
    t.setDaemon(true);
    t.start();
    return "http://127.0.0.1:" + stalled.getLocalPort() + "/stalled";
  }

  private static Optional<Thread> thread(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(name))
        .findFirst();
  }

  @Test
  void deliveryHangingOnAStalledReceiver_holdsNoLock_reloadsAndEventsGoOn() throws Exception {
    String hook = stalledReceiver();
    String stalledGovernance = ModuleRun.governance(hook, "n1");
    String own = "{\"status_every_blocks\":0,\"timeout_seconds\":300}";
    try (ModuleRun run = ModuleRun.start(tmp, "stalled", own, clock, true)) {
      run.configLoaded(stalledGovernance, own);
      run.governanceEvent("econ-1", "x");
      Poll.until(() -> run.connects.size() == 1, WAIT, "the delivery connects");
      Thread delivery =
          thread("blvm-governance-delivery").orElseThrow(() -> new AssertionError("no thread"));
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      Poll.until(
          () -> {
            ThreadInfo i = mx.getThreadInfo(new long[] {delivery.getId()}, true, true)[0];
            return i != null
                && Stream.of(i.getStackTrace())
                    .anyMatch(f -> f.getClassName().equals(WebhookClient.class.getName()));
          },
          WAIT,
          "the delivery thread waits for the receiver's answer");
      ThreadInfo info = mx.getThreadInfo(new long[] {delivery.getId()}, true, true)[0];
      assertEquals(List.of(), List.of(info.getLockedMonitors()), "monitors held while posting");
      assertEquals(List.of(), List.of(info.getLockedSynchronizers()), "locks held while posting");

      // while it hangs: a reload applies and events are queued
      run.configLoaded(stalledGovernance, "{\"status_every_blocks\":3,\"timeout_seconds\":300}");
      run.awaitLog("config applied: status every 3 blocks");
      run.governanceEvent("econ-2", "y");
      run.newBlock(3);
      Poll.until(() -> run.count("INFO queued ") == 3, WAIT, "two more queued");
      assertEquals(1, run.connects.size(), "still the one attempt: " + run.logs);
      assertTrue(delivery.isAlive());
    }
  }

  @Test
  void timeoutSeconds_ofAReload_appliesToTheNextAttempt() throws Exception {
    String hook = stalledReceiver();
    try (ModuleRun run =
        ModuleRun.start(
            tmp, "timeout", "{\"status_every_blocks\":0,\"timeout_seconds\":300}", clock, true)) {
      run.governanceEvent("econ-1", "x"); // queued; no [governance] yet: not sent
      run.awaitLog("INFO queued ");
      run.configLoaded(
          ModuleRun.governance(hook, "n1"), "{\"status_every_blocks\":0,\"timeout_seconds\":1}");
      String failed = run.awaitLog("attempt 1 of ");
      assertTrue(failed.startsWith("WARN attempt 1 of "), failed);
      assertTrue(failed.contains(" failed: "), failed);
      assertEquals(1, run.connects.size(), run.logs.toString());
    }
  }

  @Test
  void statusEveryBlocks_ofAReload_appliesFromTheNextBlock() throws Exception {
    try (ModuleRun run = delivering("status", "/s", 5)) {
      run.newBlock(5); // a status
      run.newBlock(6);
      run.configLoaded(governance, own(3));
      run.newBlock(9); // a status: every 3 from here
      run.newBlock(10); // none (every 5 would say one)
      run.newBlock(12); // a status
      run.settle();
      Poll.until(() -> received.size() == 3, WAIT, "three statuses delivered");
      List<Long> heights = new ArrayList<>();
      for (Received r : received) {
        heights.add(r.body().path("tip").path("height").asLong());
      }
      assertEquals(List.of(42L, 42L, 42L), heights, "the tip as get_chain_tip told");
      assertEquals(3, run.count("queued "), run.logs.toString());
      JsonNode status = received.get(0).body();
      ObjectNode expect = JSON.createObjectNode();
      expect
          .put("idempotency_key", queuedKey(run, 0))
          .put("type", "status")
          .put("node_id", "n1")
          .put("created_at", START);
      expect.putObject("tip").put("hash", ModuleRun.TIP_HASH).put("height", 42);
      expect
          .putObject("network")
          .put("peer_count", 3)
          .put("inbound", 1)
          .put("outbound", 2)
          .put("bytes_sent", 1000)
          .put("bytes_received", 2000);
      assertJson(expect, status);
      assertEquals(0, run.stop());
    }
  }

  @Test
  void notificationOver64KiB_notQueued_anErrorAndNothingPublished() throws Exception {
    try (ModuleRun run = delivering("oversized", "/o", 0)) {
      run.governanceEvent("econ-big", "n".repeat(70_000));
      run.governanceEvent("econ-small", "x");
      Poll.until(
          () -> !run.publishedOn(Governance.DELIVERED).isEmpty(), WAIT, "the small one delivered");
      String error = run.awaitLog("not queued: ");
      assertTrue(error.startsWith("ERROR not queued: EconomicNodeRegistered notification is "));
      assertTrue(error.endsWith(" bytes, over 65536"), error);
      assertEquals(1, run.count("queued "), run.logs.toString());
      assertEquals("econ-small", received.get(0).body().path("event").path("node_id").asText());
      assertEquals(List.of(), run.publishedOn(Governance.FAILED));
      try (Stream<Path> files = Files.list(tmp.resolve("data").resolve(Governance.OUTBOX_DIR))) {
        assertEquals(List.of(), files.toList(), "nothing left in the outbox");
      }
      assertEquals(0, run.stop());
    }
  }

  @Test
  void beforeAValidGovernanceSection_queuedNotSent_thenDeliveredInOrder() throws Exception {
    // a damaged outbox file from an earlier run: deleted, an ERROR, the module starts
    Path outbox = Files.createDirectories(tmp.resolve("data").resolve(Governance.OUTBOX_DIR));
    Files.writeString(outbox.resolve("00000000000000000001.msg"), "v1 0000");
    String url = receiver() + "/late";
    try (ModuleRun run = ModuleRun.start(tmp, "late", own(0), clock, true)) {
      assertLine(run.awaitLog("damaged"), "ERROR outbox file 00000000000000000001.msg");
      run.event(EventType.EconomicNodeVeto, new EventPayloads.EconomicNodeVeto("prop-1", "econ-1"));
      run.configLoaded(
          "{\"webhook_url\":\"" + url + "\",\"node_id\":\"n1\",\"webhook_secret\":\"short\"}",
          own(0));
      assertLine(
          run.awaitLog("not delivering: "),
          "ERROR not delivering: governance.webhook_secret must be at least 16 bytes");
      run.event(
          EventType.GovernanceProposalCreated,
          new EventPayloads.GovernanceProposalCreated("prop-2", "Raise the limit"));
      run.settle();
      assertEquals(2, run.count("queued "), run.logs.toString());
      assertEquals(List.of(), run.connects, "nothing sent without a valid [governance]");
      String eventsDropped = run.awaitLog("events dropped by the node");
      assertLine(eventsDropped, "WARN ");

      run.configLoaded(ModuleRun.governance(url, "n1"), own(0));
      Poll.until(() -> received.size() == 2, WAIT, "both delivered");
      JsonNode veto = received.get(0).body();
      assertEquals("EconomicNodeVeto", veto.path("type").asText());
      assertTrue(veto.path("node_id").isNull(), "no [governance] known when it was queued");
      assertJson(
          JSON.createObjectNode().put("proposal_id", "prop-1").put("node_id", "econ-1"),
          veto.path("event"));
      JsonNode proposal = received.get(1).body();
      assertEquals("GovernanceProposalCreated", proposal.path("type").asText());
      assertTrue(proposal.path("node_id").isNull(), "no valid [governance] when it was queued");
      assertJson(
          JSON.createObjectNode().put("proposal_id", "prop-2").put("title", "Raise the limit"),
          proposal.path("event"));
      assertEquals(0, run.stop());
    }
  }
}
