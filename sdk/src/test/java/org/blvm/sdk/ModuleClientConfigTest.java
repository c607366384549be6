package org.blvm.sdk;

import static org.blvm.sdk.TestClients.builder;
import static org.blvm.testsupport.FakeNode.CODEC;
import static org.blvm.testsupport.FakeNode.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.testsupport.FakeNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModuleClient#config()} and {@link ModuleClient.Builder#onConfig} follow ConfigLoaded. */
@Timeout(30)
final class ModuleClientConfigTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path tmp;
  private FakeNode node;
  private ModuleClient client;

  @BeforeEach
  void startNode() throws Exception {
    node = FakeNode.start(tmp);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (client != null) {
      client.close();
    }
    node.close();
  }

  private record Seen(JsonNode own, JsonNode visible, List<String> changed) {}

  private static Message.Event configLoaded(long seq, List<String> changed, String json) {
    return new Message.Event(
        seq,
        EventType.ConfigLoaded.wireName(),
        null,
        CODEC.toTree(new EventPayloads.ConfigLoaded(changed, json)));
  }

  /** A ConfigLoaded that changed only this module's own section: {@code greeting} set. */
  private static Message.Event ownSection(long seq, String greeting) {
    return configLoaded(
        seq,
        List.of("modules.mod-a"),
        "{\"modules\":{\"mod-a\":{\"greeting\":\"" + greeting + "\"}}}");
  }

  /** Connects with an onConfig handler that records what it is given. */
  private BlockingQueue<Seen> connectRecordingConfig() throws Exception {
    BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    client =
        builder(node)
            .onConfig((own, visible, changed) -> seen.add(new Seen(own, visible, changed)))
            .connect();
    return seen;
  }

  @Test
  void config_ownSectionOfConfigLoaded_replacesWelcomeConfigAndRunsOnConfig() throws Exception {
    ObjectNode welcomeConfig = JSON.objectNode().put("greeting", "hi");
    node.welcomeConfig(welcomeConfig);
    BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    client =
        builder(node)
            .onConfig((own, visible, changed) -> seen.add(new Seen(own, visible, changed)))
            .connect();
    assertInstanceOf(Message.Hello.class, node.next(WAIT));
    Message.Request subscribe = assertInstanceOf(Message.Request.class, node.next(WAIT));
    assertEquals(
        List.of("ConfigLoaded"),
        CODEC.toValue(subscribe.params(), Api.SubscribeParams.class).events());
    assertEquals(welcomeConfig, client.config());

    node.send(
        configLoaded(
            1,
            List.of("network", "modules.mod-a"),
            "{\"network\":{\"port\":8333},\"modules\":{\"mod-a\":{\"greeting\":\"hello\"}}}"));
    Seen first = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(first);
    assertEquals("hello", first.own().get("greeting").asText());
    assertEquals(8333, first.visible().at("/network/port").asInt());
    assertEquals(List.of("network", "modules.mod-a"), first.changed());
    assertEquals("hello", client.config().get("greeting").asText());

    // a reload that changed only another section: config() keeps the module's own section
    node.send(
        configLoaded(
            2,
            List.of("network"),
            "{\"network\":{\"port\":8334},\"modules\":{\"mod-a\":{\"greeting\":\"hello\"}}}"));
    Seen second = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(second);
    assertEquals(List.of("network"), second.changed());
    assertEquals("hello", client.config().get("greeting").asText());

    // config() hands out copies
    ((ObjectNode) client.config()).put("greeting", "changed by the caller");
    assertEquals("hello", client.config().get("greeting").asText());
  }

  @Test
  void onConfig_laterConfigLoadedReadBeforeTheHandlerRuns_handlerGetsTheConfigAsOfItsEvent()
      throws Exception {
    node.welcomeConfig(JSON.objectNode().put("greeting", "hi"));
    BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    CountDownLatch release = new CountDownLatch(1);
    client =
        builder(node)
            .onConfig(
                (own, visible, changed) -> {
                  seen.add(new Seen(own, visible, changed));
                  release.await(); // the first call holds the event thread
                })
            .connect();
    node.send(ownSection(1, "one"));
    assertNotNull(seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    // while the handler runs: a reload that did not touch this module's section, then one that did
    node.send(configLoaded(2, List.of("network"), "{\"network\":{\"port\":1}}"));
    node.send(ownSection(3, "three"));
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!"three".equals(client.config().path("greeting").asText())
        && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertEquals("three", client.config().get("greeting").asText()); // event 3 was read
    release.countDown();

    Seen second = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(second);
    assertEquals(List.of("network"), second.changed());
    assertEquals("one", second.own().get("greeting").asText(), "the config as of event 2");
    Seen third = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(third);
    assertEquals("three", third.own().get("greeting").asText());
  }

  @Test
  void config_withoutOnConfig_stillFollowsConfigLoadedOfAnEventHandler() throws Exception {
    node.welcomeConfig(JSON.objectNode().put("greeting", "hi"));
    BlockingQueue<EventPayloads.ConfigLoaded> seen = new LinkedBlockingQueue<>();
    client =
        builder(node)
            .onEvent(
                EventType.ConfigLoaded, EventPayloads.ConfigLoaded.class, (e, p) -> seen.add(p))
            .connect();
    node.send(ownSection(1, "yo"));
    assertNotNull(seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals("yo", client.config().get("greeting").asText());
  }

  @Test
  void config_configLoadedRightBehindTheWelcome_appliesBeforeConnectReturns() throws Exception {
    node.welcomeConfig(JSON.objectNode().put("greeting", "hi"))
        .afterWelcome(ownSection(1, "early"));
    BlockingQueue<Seen> seen = connectRecordingConfig();

    // the module id is known when the event is read, so its own section applies at once
    assertEquals("early", client.config().get("greeting").asText());
    Seen first = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(first);
    assertEquals("early", first.own().get("greeting").asText());
  }

  @Test
  void config_handlerChangesItsArguments_configStaysAsTheNodeSentIt() throws Exception {
    BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    client =
        builder(node)
            .onConfig(
                (own, visible, changed) -> {
                  ((ObjectNode) own).put("greeting", "changed by the handler");
                  ((ObjectNode) visible.get("modules")).removeAll();
                  seen.add(new Seen(own, visible, changed));
                })
            .connect();
    node.send(ownSection(1, "yo"));
    assertNotNull(seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));

    assertEquals("yo", client.config().get("greeting").asText());
  }

  @Test
  void config_malformedConfigLoaded_warnsTheNodeAndKeepsTheConfig() throws Exception {
    node.welcomeConfig(JSON.objectNode().put("greeting", "hi"));
    BlockingQueue<Seen> seen = connectRecordingConfig();
    node.send(
        new Message.Event(
            1,
            EventType.ConfigLoaded.wireName(),
            null,
            JSON.objectNode().put("changed_sections", 5).put("config_json", "{}")));

    Message.Log warn = node.nextOf(Message.Log.class, WAIT);
    assertEquals(Message.LogLevel.WARN, warn.level());
    assertEquals(
        "event ConfigLoaded seq 1 has a malformed payload: payload.changed_sections: expected an"
            + " array, found the number 5",
        warn.message());
    assertEquals("hi", client.config().get("greeting").asText());
    assertTrue(seen.isEmpty(), "the handler must not run for a malformed payload");
  }
}
