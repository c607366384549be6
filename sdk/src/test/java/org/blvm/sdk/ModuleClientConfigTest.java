package org.blvm.sdk;

import static org.blvm.sdk.FakeNode.CODEC;
import static org.blvm.sdk.FakeNode.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
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

  @Test
  void config_ownSectionOfConfigLoaded_replacesWelcomeConfigAndRunsOnConfig() throws Exception {
    ObjectNode welcomeConfig = JSON.objectNode().put("greeting", "hi");
    node.config = welcomeConfig;
    BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    client =
        node.builder()
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
  void config_withoutOnConfig_stillFollowsConfigLoadedOfAnEventHandler() throws Exception {
    node.config = JSON.objectNode().put("greeting", "hi");
    BlockingQueue<EventPayloads.ConfigLoaded> seen = new LinkedBlockingQueue<>();
    client =
        node.builder()
            .onEvent(
                EventType.ConfigLoaded, EventPayloads.ConfigLoaded.class, (e, p) -> seen.add(p))
            .connect();
    node.send(
        configLoaded(
            1, List.of("modules.mod-a"), "{\"modules\":{\"mod-a\":{\"greeting\":\"yo\"}}}"));
    assertNotNull(seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals("yo", client.config().get("greeting").asText());
  }
}
