package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H0;
import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What docs/protocol.md promises a module about its session, checked from the module's side of a
 * real socket: its environment (§1), the welcome's paths (§3.2), stopping and closing (§4.4, §4.5),
 * the sub-code of a violation's close (§4.6), the publish limit (§6.1) and when ConfigLoaded is
 * sent (§7).
 */
class SessionPromisesTest {
  private static final String CAPS = "\"subscribe_events\", \"read_blockchain\"";

  @TempDir Path tmp;
  private LoaderFixture fx;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  private LoaderFixture start(Consumer<ModuleManager.Builder> custom) throws Exception {
    fx =
        new LoaderFixture(tmp.resolve("fx"))
            .module("alpha", CAPS, "")
            .module("pub", "\"subscribe_events\", \"publish_events\"", "", "\"pub.news\"")
            .module("sub", "\"subscribe_events\"", "");
    fx.start(custom);
    return fx;
  }

  // ------------------------------------------------------------------ §1, §3.2

  @Test
  void environment_isExactlyTheDocumentedVariables() throws Exception {
    start(b -> {});
    LaunchSpec spec = fx.launcher.specs.get("alpha");
    Map<String, String> env = spec.environment(spec.socketPath().toString());
    Path dataDir = spec.dataDir();

    assertEquals(
        Set.of("BLVM_SOCKET", "BLVM_TOKEN", "BLVM_DATA_DIR", "HOME", "PATH", "LANG"), env.keySet());
    assertEquals(dataDir.toString(), env.get("BLVM_DATA_DIR"));
    assertEquals(env.get("BLVM_DATA_DIR"), env.get("HOME"));
    assertEquals("/usr/bin:/bin", env.get("PATH"));
    assertEquals("C.UTF-8", env.get("LANG"));
  }

  @Test
  void welcome_socketPathIsTheModulesBlvmSocket_dataDirIsBlvmDataDir() throws Exception {
    start(b -> {});
    try (RawClient c = fx.connect("alpha")) {
      Message.Welcome w = c.hello(fx.launcher.token("alpha"));

      LaunchSpec spec = fx.launcher.specs.get("alpha");
      Map<String, String> env = spec.environment(fx.launcher.moduleSocketPath("alpha"));
      assertEquals(env.get("BLVM_SOCKET"), w.context().socketPath());
      assertEquals(env.get("BLVM_DATA_DIR"), w.context().dataDir());
    }
  }

  // ------------------------------------------------------------------ §4.4, §4.5

  /** What the test's module does when the stop invoke arrives. */
  private interface OnStop {
    void run(RawClient module, Message.Invoke stop) throws Exception;
  }

  /** Stops "alpha" while the test plays the module; returns once the module thread is done. */
  private void stopWhile(OnStop onStop) throws Exception {
    RawClient a = fx.handshake("alpha");
    Thread module =
        new Thread(
            () -> {
              try {
                Message.Invoke stop = a.expect(Message.Invoke.class);
                assertEquals("stop", stop.method());
                onStop.run(a, stop);
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            },
            "test-alpha-module");
    module.start();
    fx.manager.stopModule("alpha");
    module.join(5000);
  }

  @Test
  void stop_answeredThenCloseThenExit_stoppedWithoutSignals() throws Exception {
    start(b -> {});

    stopWhile(
        (a, stop) -> {
          a.send(Message.Response.ok(stop.id(), a.codec.toTree(Map.of())));
          a.send(new Message.Close(ErrorCode.SHUTDOWN, "module stopped"));
          a.close();
          fx.launcher.exit("alpha", 0);
        });

    // (stopModule may return while the state still reads STOPPING: wait for the final state)
    assertTrue(fx.manager.awaitState("alpha", ModuleState.STOPPED, Duration.ofSeconds(10)));
    assertEquals(List.of(), fx.launcher.signals, "it exited within grace_ms");
  }

  @Test
  void stop_exitWithoutAnswerOrClose_stoppedWithoutSignals() throws Exception {
    start(b -> {});

    stopWhile(
        (a, stop) -> {
          fx.launcher.exit("alpha", 0);
          a.close();
        });

    assertTrue(fx.manager.awaitState("alpha", ModuleState.STOPPED, Duration.ofSeconds(10)));
    assertEquals(List.of(), fx.launcher.signals);
  }

  @Test
  void closeOnItsOwn_withoutStop_failedAndProcessEnded() throws Exception {
    start(b -> {});
    try (RawClient a = fx.handshake("alpha")) {
      a.send(new Message.Close(ErrorCode.SHUTDOWN, "leaving"));

      assertTrue(fx.manager.awaitState("alpha", ModuleState.FAILED, Duration.ofSeconds(10)));
      assertTrue(fx.launcher.awaitSignal("alpha", "KILL"), "" + fx.launcher.signals);
    }
  }

  // ------------------------------------------------------------------ §4.6

  @Test
  void violation_closeMessageStartsWithTheSubCode() throws Exception {
    start(b -> {});
    try (RawClient c = fx.connect("alpha")) {
      c.sendRaw(new byte[] {0, 0, 0, 0});

      Message.Close close = c.expect(Message.Close.class);

      assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
      assertTrue(close.message().startsWith("EMPTY_FRAME: "), close.message());
    }
  }

  // ------------------------------------------------------------------ §6.1

  private static int eventSize(Map<String, String> payload) {
    return Codec.withDefaults()
        .encodeShared("pub.news", "pub", Codec.withDefaults().toTree(payload))
        .tailLength();
  }

  /**
   * A {@code pub.news} payload {@code {b: "x…", c: "y…"}} whose event, as the node encodes it (the
   * long string in chunks), is exactly {@code bytes}: {@code b} brings it close, the short {@code
   * c} (1 byte of key, 1 of length, then its characters) makes up the rest.
   */
  private static Map<String, String> payloadOfEventSize(int bytes) {
    int n = bytes;
    while (eventSize(Map.of("b", "x".repeat(n))) > bytes - 26) {
      n--;
    }
    int rest = bytes - eventSize(Map.of("b", "x".repeat(n))) - 3;
    Map<String, String> p = new TreeMap<>(Map.of("b", "x".repeat(n), "c", "y".repeat(rest)));
    assertEquals(bytes, eventSize(p));
    return p;
  }

  @Test
  void publish_limitIsTheEncodedTypeSourceAndPayload_64KiBAccepted_oneMoreRefused()
      throws Exception {
    start(b -> {});
    try (RawClient pub = fx.handshake("pub");
        RawClient sub = fx.handshake("sub")) {
      subscribe(sub, 1, "pub.news");

      pub.send(
          request(
              2,
              "publish_event",
              new Api.PublishEventParams("pub.news", pub.codec.toTree(payloadOfEventSize(65_537))),
              pub));
      Message.Response over = pub.expect(Message.Response.class);
      pub.send(
          request(
              3,
              "publish_event",
              new Api.PublishEventParams("pub.news", pub.codec.toTree(payloadOfEventSize(65_536))),
              pub));
      Message.Response at = pub.expect(Message.Response.class);

      assertEquals(ErrorCode.INVALID_PARAMS, over.error().code());
      assertTrue(over.error().message().contains("65537 bytes"), over.error().message());
      assertNull(at.error(), () -> String.valueOf(at.error()));
      Message.Event e = sub.expect(Message.Event.class);
      assertEquals(1, e.seq(), "the refused event reached nobody");
      assertEquals(payloadOfEventSize(65_536).get("c"), e.payload().get("c").asText());
    }
  }

  @Test
  void publish_undeclaredTopic_notCapablePublishEvents() throws Exception {
    start(b -> {});
    try (RawClient pub = fx.handshake("pub")) {
      pub.send(request(2, "publish_event", new Api.PublishEventParams("pub.other", null), pub));

      Message.Response r = pub.expect(Message.Response.class);

      assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
      assertEquals(Capability.PUBLISH_EVENTS, r.error().capability());
      assertTrue(r.error().message().contains("publishes"), r.error().message());
    }
  }

  // ------------------------------------------------------------------ §7

  private static void subscribe(RawClient c, long id, String... events) throws Exception {
    c.send(request(id, "subscribe_events", new Api.SubscribeParams(List.of(events)), c));
    assertNull(c.expect(Message.Response.class).error());
  }

  private static void publishBlock(LoaderFixture fx, long height) {
    fx.manager.publish(EventType.NewBlock, new EventPayloads.NewBlock(H1, height, H0, 1, 1));
  }

  @Test
  void configLoaded_withoutNodeConfig_neverSent() throws Exception {
    start(b -> {});
    try (RawClient a = fx.handshake("alpha")) {
      subscribe(a, 1, "ConfigLoaded", "NewBlock");

      publishBlock(fx, 1);
      publishBlock(fx, 2);

      // seq counts every event of the connection: a ConfigLoaded would have taken one
      Message.Event first = assertInstanceOf(Message.Event.class, a.read());
      Message.Event second = assertInstanceOf(Message.Event.class, a.read());
      assertEquals(List.of("NewBlock", 1L), List.of(first.type(), first.seq()));
      assertEquals(List.of("NewBlock", 2L), List.of(second.type(), second.seq()));
    }
  }

  @Test
  void configLoaded_withNodeConfig_onceAfterTheFirstSubscribe_jsonObjectAsText() throws Exception {
    Path config = Files.writeString(tmp.resolve("node.toml"), "[network]\nport = 8333\n");
    start(b -> b.nodeConfig(config).watchNodeConfig(false));
    try (RawClient a = fx.handshake("alpha")) {
      subscribe(a, 1, "ConfigLoaded", "NewBlock");
      Message.Event loaded = assertInstanceOf(Message.Event.class, a.read());
      subscribe(a, 2, "ConfigLoaded");
      publishBlock(fx, 1);
      Message.Event next = assertInstanceOf(Message.Event.class, a.read());

      assertEquals(List.of("ConfigLoaded", 1L), List.of(loaded.type(), loaded.seq()));
      JsonNode text = loaded.payload().get("config_json");
      assertTrue(text.isTextual(), "config_json is a CBOR text string, found " + text);
      JsonNode json = new ObjectMapper().readTree(text.textValue());
      assertTrue(json.isObject(), text.textValue());
      assertTrue(json.path("modules").has("alpha"), text.textValue());
      assertEquals(
          List.of("NewBlock", 2L),
          List.of(next.type(), next.seq()),
          "a second subscribe_events does not repeat ConfigLoaded");
      assertFalse(json.has("network"), "not visible without read_config");
    }
  }

  @Test
  void configLoaded_visibleConfigOverTheStringLimit_notSent() throws Exception {
    // 6000 keys of 100 backslashes: about 0.6 MB of TOML, 1.3 million characters of JSON text
    StringBuilder toml = new StringBuilder("[modules.alpha]\n");
    for (int i = 0; i < 6000; i++) {
      toml.append("k").append(i).append(" = '").append("\\".repeat(100)).append("'\n");
    }
    Path config = Files.writeString(tmp.resolve("node.toml"), toml);
    start(b -> b.nodeConfig(config).watchNodeConfig(false));
    try (RawClient a = fx.handshake("alpha")) {
      subscribe(a, 1, "ConfigLoaded", "NewBlock");

      publishBlock(fx, 1);

      Message.Event first = assertInstanceOf(Message.Event.class, a.read());
      assertEquals(List.of("NewBlock", 1L), List.of(first.type(), first.seq()));
    }
  }
}
