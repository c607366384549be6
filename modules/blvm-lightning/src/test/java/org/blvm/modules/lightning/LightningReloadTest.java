package org.blvm.modules.lightning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole module ({@link Lightning#run}) in this JVM against a scripted node ({@link FakeNode})
 * over the SDK: reloads reach it as the node sends them. The node answers every NodeAPI call with
 * {@code UNAVAILABLE} (the chain does not matter here).
 */
@Timeout(60)
class LightningReloadTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String ID = "blvm-lightning";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private final AtomicLong seq = new AtomicLong(1);
  private final AtomicInteger exit = new AtomicInteger(-1);
  private final List<String> logs = new ArrayList<>();
  private FakeNode node;
  private Thread module;

  @AfterEach
  void tearDown() throws Exception {
    if (node != null) {
      node.close();
    }
    if (module != null) {
      module.join(WAIT.toMillis());
    }
  }

  @Test
  void reloadWithoutItsTable_orWithWronglyTypedValues_refused_theLastGoodConfigKept()
      throws Exception {
    start("{\"provider\":\"onchain\",\"confirmations\":2,\"final_depth\":6}");

    event(new EventPayloads.ConfigLoaded(List.of("network"), "{\"network\":{\"port\":8333}}"));
    event(
        new EventPayloads.ConfigLoaded(
            List.of("modules." + ID), "{\"modules\":{\"" + ID + "\":7}}"));
    reload("{\"confirmations\":\"3\"}");
    reload("{\"provider\":1,\"max_payments\":18446744073709551617}");
    reload("{\"confirmations\":3,\"final_depth\":6}");

    awaitLog("INFO config applied: provider onchain, 3 confirmations");
    List<String> refused =
        logs.stream()
            .filter(l -> l.contains("config refused, keeping the last good one: "))
            .toList();
    assertEquals(4, refused.size(), logs::toString);
    assertTrue(refused.stream().allMatch(l -> l.startsWith("ERROR ")), refused::toString);
    assertEquals(2, refused.stream().filter(l -> l.endsWith("no table modules." + ID)).count());
    assertTrue(
        refused.get(2).endsWith("confirmations must be an integer from 1 to 100, found \"3\""),
        refused::toString);
    assertTrue(
        refused.get(3).contains("provider must be a string")
            && refused.get(3).contains("max_payments must be an integer from 1 to 100000"),
        refused::toString);
    assertEquals(
        1, logs.stream().filter(l -> l.contains("config applied")).count(), logs::toString);
  }

  private void start(String own) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    node = FakeNode.start(tmp);
    node.welcomeAs(
            ID,
            List.of(
                Capability.SUBSCRIBE_EVENTS,
                Capability.READ_BLOCKCHAIN,
                Capability.READ_MEMPOOL,
                Capability.PUBLISH_EVENTS),
            data.toString())
        .welcomeConfig(JSON.readTree(own))
        .respondWith(this::answer);
    module = node.runModule("lightning-under-test", new Lightning()::run, exit::set);
    awaitLog("watching with provider onchain, 2 confirmations");
  }

  /** Setup requests get the fake node's defaults; every NodeAPI call is refused. */
  private Message answer(Message.Request r) {
    if (r.method().equals(NodeMethod.SUBSCRIBE_EVENTS.wireName())
        || r.method().equals(NodeMethod.REGISTER_MODULE_API.wireName())
        || r.method().equals(NodeMethod.READY)) {
      return null;
    }
    return Message.Response.error(r.id(), ErrorValue.of(ErrorCode.UNAVAILABLE, "no chain here"));
  }

  private void event(EventPayloads.ConfigLoaded payload) throws IOException {
    node.send(
        new Message.Event(
            seq.getAndIncrement(),
            EventType.ConfigLoaded.wireName(),
            null,
            FakeNode.CODEC.toTree(payload)));
  }

  private void reload(String own) throws IOException {
    event(
        new EventPayloads.ConfigLoaded(
            List.of("modules." + ID), "{\"modules\":{\"" + ID + "\":" + own + "}}"));
  }

  private String awaitLog(String part) throws InterruptedException {
    Poll.until(
        () -> {
          List<Message> got = new ArrayList<>();
          node.inbox().drainTo(got);
          for (Message m : got) {
            if (m instanceof Message.Log l) {
              logs.add(l.level() + " " + l.message());
            }
          }
          return logs.stream().anyMatch(l -> l.contains(part));
        },
        WAIT,
        "a log line with " + part);
    return logs.stream().filter(l -> l.contains(part)).findFirst().orElseThrow();
  }
}
