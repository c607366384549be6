package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H0;
import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime rules of issue 5 against real sockets: overflow handling, isolation of a stalled
 * module, ordering under concurrent publishers, rate limits, publish_event rules and
 * module-to-module calls with the operator's per-pair allowance.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RuntimeTest {
  private static final String READER = "\"read_blockchain\", \"subscribe_events\"";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static void subscribe(RawClient c, String... types) throws Exception {
    c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of(types)), c));
    assertNull(c.expect(Message.Response.class).error());
  }

  private static EventPayloads.NewBlock block(long height) {
    return new EventPayloads.NewBlock(H1, height, H0, 1, 1);
  }

  // ------------------------------------------------------------------ overflow

  @Test
  void dropOldest_stalledModuleGetsMarkerAndContiguousSeq() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
                    + "event_overflow = \"drop_oldest\"\n")
            .module("slow", READER, "")) {
      fx.start(b -> b.eventQueue(16, 16L << 20));
      RawClient c = fx.handshake("slow");
      subscribe(c, "NewBlock");
      // the module reads nothing while 5000 events are published: the socket buffer and the
      // queue of 16 fill, then the oldest queued events are dropped
      int total = 5000;
      for (int i = 1; i <= total; i++) {
        fx.manager.publish(EventType.NewBlock, block(i));
      }
      fx.manager.flushEvents();
      long dropped = fx.manager.droppedEvents("slow");
      assertTrue(dropped > 0, "nothing was dropped");
      assertEquals(0, fx.manager.queueOverflows("slow"));

      long expectSeq = 1;
      long delivered = 0;
      long markers = 0;
      long markedCount = 0;
      while (expectSeq <= total) {
        Message.Event e = c.expect(Message.Event.class);
        if (e.type().equals("EventsDropped")) {
          long first = e.payload().get("first_seq").asLong();
          long last = e.payload().get("last_seq").asLong();
          assertEquals(expectSeq, first, "the marker starts where delivery stopped");
          assertEquals(last - first + 1, e.payload().get("count").asLong());
          assertEquals(last, e.seq(), "the marker's seq is the last dropped one");
          assertNull(e.source());
          markers++;
          markedCount += last - first + 1;
          expectSeq = last + 1;
        } else {
          assertEquals(expectSeq, e.seq(), "seq is contiguous across the marker");
          assertEquals(e.seq(), e.payload().get("height").asLong(), "events keep their order");
          expectSeq++;
          delivered++;
        }
      }
      assertTrue(markers >= 1);
      assertEquals(dropped, markedCount, "every dropped event is accounted for by a marker");
      assertEquals(total, delivered + markedCount);
      // the connection is still usable
      c.send(new Message.Request(2, "get_chain_tip", null));
      assertNull(c.expect(Message.Response.class).error());
      c.close();
    }
  }

  @Test
  void stalledModule_doesNotSlowAnotherReceiving100000Events() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
                    + "[modules.stalled]\nevent_overflow = \"drop_oldest\"\n")
            .module("stalled", READER, "")
            .module("fast", READER, "")) {
      fx.start(b -> {});
      RawClient stalled = fx.handshake("stalled");
      RawClient fast = fx.handshake("fast");
      subscribe(stalled, "NewBlock");
      subscribe(fast, "NewBlock");
      AtomicLong received = new AtomicLong();
      AtomicReference<String> problem = new AtomicReference<>();
      Thread drain =
          new Thread(
              () -> {
                try {
                  for (Message m; (m = fast.read()) != null; ) {
                    if (m instanceof Message.Event e) {
                      long n = received.incrementAndGet();
                      if (e.seq() != n || e.payload().get("height").asLong() != n) {
                        problem.compareAndSet(null, "event " + n + " arrived as " + e);
                      }
                    }
                  }
                } catch (Exception e) {
                  // closed at the end of the test
                }
              });
      drain.start();
      int total = 100_000;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      for (int i = 1; i <= total; i++) {
        fx.manager.publish(EventType.NewBlock, block(i));
        // stay within the fast module's queue: only the stalled one may fall behind
        while (i - received.get() > 4000 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
      }
      while (received.get() < total && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertNull(problem.get());
      assertEquals(total, received.get(), "the reading module lost events");
      assertEquals(0, fx.manager.droppedEvents("fast"));
      assertTrue(fx.manager.droppedEvents("stalled") > 50_000, "the stalled module was bounded");
      assertEquals(ModuleState.SUBSCRIBED, fx.manager.status("stalled").orElseThrow().state());
      stalled.close();
      fast.close();
      drain.join(5000);
    }
  }

  @Test
  void concurrentPublishers_eachModuleSeesContiguousSeqAndEachPublishersOrder() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp).module("one", READER, "").module("two", READER, "")) {
      fx.start(b -> b.eventQueue(1 << 16, 256L << 20));
      List<RawClient> clients = List.of(fx.handshake("one"), fx.handshake("two"));
      for (RawClient c : clients) {
        subscribe(c, "NewBlock");
      }
      int threads = 4;
      int perThread = 5000;
      List<Thread> publishers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long base = (t + 1) * 1_000_000L;
        publishers.add(
            new Thread(
                () -> {
                  for (int i = 1; i <= perThread; i++) {
                    fx.manager.publish(EventType.NewBlock, block(base + i));
                  }
                }));
      }
      publishers.forEach(Thread::start);
      for (Thread t : publishers) {
        t.join();
      }
      for (RawClient c : clients) {
        Map<Long, Long> lastPerPublisher = new HashMap<>();
        for (long seq = 1; seq <= (long) threads * perThread; seq++) {
          Message.Event e = c.expect(Message.Event.class);
          assertEquals(seq, e.seq());
          long height = e.payload().get("height").asLong();
          long publisher = height / 1_000_000L;
          long i = height % 1_000_000L;
          long previous = lastPerPublisher.getOrDefault(publisher, 0L);
          assertEquals(previous + 1, i, "publisher " + publisher + "'s events out of order");
          lastPerPublisher.put(publisher, i);
        }
        c.close();
      }
    }
  }

  // ------------------------------------------------------------------ rate limit

  @Test
  void rateLimit_overTheBucket_rateLimitedConnectionKeptAndAudited() throws Exception {
    Path audit = tmp.resolve("audit.jsonl");
    FakeTicker ticker = new FakeTicker();
    LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                    + "rate_limit = { requests_per_second = 1, burst = 3 }\n")
            .module("chatty", "\"read_blockchain\"", "");
    try (fx) {
      fx.start(b -> b.auditLog(audit, 1 << 20, 2).ticker(ticker));
      try (RawClient c = fx.handshake("chatty")) {
        List<ErrorCode> codes = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
          c.send(new Message.Request(i, "get_chain_tip", null));
          Message.Response r = c.expect(Message.Response.class);
          codes.add(r.error() == null ? null : r.error().code());
        }
        // the bucket holds 3, and no time passes on the loader's ticker during the loop
        long ok = codes.stream().filter(x -> x == null).count();
        assertEquals(3, ok, codes.toString());
        assertEquals(ErrorCode.RATE_LIMITED, codes.get(7));
        assertEquals(8 - ok, fx.manager.rateLimitedCalls("chatty"));
        ticker.advance(Duration.ofMillis(1500));
        c.send(new Message.Request(9, "get_chain_tip", null));
        assertNull(c.expect(Message.Response.class).error(), "the bucket refills");
      }
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String l : Files.readAllLines(audit)) {
      lines.add(JSON.readTree(l));
    }
    JsonNode limited =
        lines.stream()
            .filter(l -> l.get("decision").asText().equals("rate_limited"))
            .findFirst()
            .orElseThrow();
    assertEquals("chatty", limited.get("module").asText());
    assertEquals("get_chain_tip", limited.get("method").asText());
    assertEquals(1, limited.get("count").asLong(), "the first refusal is recorded at once");
  }

  // ------------------------------------------------------------------ publish_event

  @Test
  void publish_coreUndeclaredSpoofedOversized_allRefused_declaredDeliveredWithSource()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .module("pub", "\"subscribe_events\", \"publish_events\"", "", "\"pub.news\"")
            .module("sub", "\"subscribe_events\"", "")) {
      fx.start(b -> {});
      RawClient pub = fx.handshake("pub");
      RawClient sub = fx.handshake("sub");
      subscribe(sub, "pub.news", "other.news");

      // core types: never from a module
      for (EventType core : List.of(EventType.NewBlock, EventType.ModuleCrashed)) {
        pub.send(
            request(2, "publish_event", new Api.PublishEventParams(core.wireName(), null), pub));
        Message.Response r = pub.expect(Message.Response.class);
        assertEquals(ErrorCode.NOT_CAPABLE, r.error().code(), core.wireName());
        assertEquals(Capability.PUBLISH_EVENTS, r.error().capability());
      }
      // a topic it did not declare (another module's)
      pub.send(request(3, "publish_event", new Api.PublishEventParams("other.news", null), pub));
      assertEquals(ErrorCode.NOT_CAPABLE, pub.expect(Message.Response.class).error().code());
      // choosing its own source: an unknown key in the params
      JsonNode spoof =
          pub.codec.toTree(Map.of("type", "pub.news", "payload", Map.of(), "source", "sub"));
      pub.send(new Message.Request(4, "publish_event", spoof));
      assertEquals(ErrorCode.INVALID_PARAMS, pub.expect(Message.Response.class).error().code());
      // payload not a map, payload too big
      pub.send(
          request(
              5,
              "publish_event",
              new Api.PublishEventParams("pub.news", pub.codec.toTree(List.of(1, 2))),
              pub));
      assertEquals(ErrorCode.INVALID_PARAMS, pub.expect(Message.Response.class).error().code());
      String big = "x".repeat(Dispatcher.MAX_PUBLISH_PAYLOAD_BYTES);
      pub.send(
          request(
              6,
              "publish_event",
              new Api.PublishEventParams("pub.news", pub.codec.toTree(Map.of("b", big))),
              pub));
      Message.Response tooBig = pub.expect(Message.Response.class);
      assertEquals(ErrorCode.INVALID_PARAMS, tooBig.error().code());
      assertTrue(tooBig.error().message().contains("exceeds"), tooBig.error().message());

      // the declared topic is delivered, stamped with the authenticated source
      pub.send(
          request(
              7,
              "publish_event",
              new Api.PublishEventParams("pub.news", pub.codec.toTree(Map.of("n", 1))),
              pub));
      assertNull(pub.expect(Message.Response.class).error());
      Message.Event e = sub.expect(Message.Event.class);
      assertEquals("pub.news", e.type());
      assertEquals("pub", e.source());
      assertEquals(1, e.seq(), "none of the refused publishes reached the subscriber");
      assertEquals(3, fx.manager.deniedCalls("pub"));
      pub.close();
      sub.close();
    }
  }

  // ------------------------------------------------------------------ call_module

  private static final String CALLER_POLICY =
      "[defaults]\n"
          + "capabilities = [\"call_module\", \"register_module_api\", \"discover_modules\"]\n"
          + "[modules.caller]\ncallable_modules = [\"target\"]\n"
          + "capabilities = [\"call_module\", \"register_module_api\"]\n"
          + "[modules.watcher]\ncallable_modules = []\n"
          + "[modules.hidden]\ncallable_modules = []\n"
          + "capabilities = [\"call_module\"]\n";

  private LoaderFixture callFixture() throws Exception {
    return new LoaderFixture(tmp)
        .policy(CALLER_POLICY)
        .module("caller", "\"call_module\", \"register_module_api\"", "\"ping\"")
        .module("target", "\"call_module\", \"register_module_api\"", "\"echo\", \"slow\"")
        .module("watcher", "\"call_module\", \"discover_modules\"", "")
        .module("hidden", "\"call_module\"", "");
  }

  private static void register(RawClient c, String... methods) throws Exception {
    c.send(request(50, "register_module_api", new Api.RegisterApiParams(List.of(methods)), c));
    assertNull(c.expect(Message.Response.class).error());
  }

  private static Message.Response call(RawClient c, long id, String target, String method)
      throws Exception {
    c.send(
        request(
            id,
            "call_module",
            new Api.CallModuleParams(target, method, c.codec.toTree(Map.of("x", 1))),
            c));
    return c.expect(Message.Response.class);
  }

  @Test
  void callModule_allowedPair_deliveredWithCallerId_othersDeniedOrHidden() throws Exception {
    Path audit = tmp.resolve("calls.jsonl");
    try (LoaderFixture fx = callFixture()) {
      fx.start(b -> b.auditLog(audit, 1 << 20, 2));
      RawClient caller = fx.handshake("caller");
      RawClient target = fx.handshake("target");
      RawClient watcher = fx.handshake("watcher");
      RawClient hidden = fx.handshake("hidden");
      register(target, "echo");

      caller.send(
          request(
              7,
              "call_module",
              new Api.CallModuleParams("target", "echo", caller.codec.toTree(Map.of("x", 1))),
              caller));
      Message.Invoke inv = target.expect(Message.Invoke.class);
      assertEquals("caller", inv.caller(), "the target learns the authenticated caller");
      target.send(Message.Response.ok(inv.id(), target.codec.toTree(Map.of("y", 2))));
      Message.Response ok = caller.expect(Message.Response.class);
      assertEquals(7, ok.id());
      assertEquals(2, ok.result().get("y").asInt());

      // watcher may discover target but the policy does not let it call: NOT_CAPABLE
      Message.Response denied = call(watcher, 8, "target", "echo");
      assertEquals(ErrorCode.NOT_CAPABLE, denied.error().code());
      assertEquals(Capability.CALL_MODULE, denied.error().capability());
      assertTrue(denied.error().message().contains("callable_modules"));

      // hidden can neither see nor call target: exactly like a module that does not exist
      Message.Response notSeen = call(hidden, 9, "target", "echo");
      Message.Response absent = call(hidden, 9, "no-such-module", "echo");
      assertEquals(ErrorCode.NOT_FOUND, notSeen.error().code());
      assertEquals(1, fx.manager.deniedCalls("hidden"), "counted (and audited) all the same");
      assertEquals(
          absent.error().message().replace("no-such-module", "target"), notSeen.error().message());
      assertEquals(ErrorCode.NOT_FOUND, call(caller, 10, "caller", "ping").error().code());
      assertEquals(
          ErrorCode.UNKNOWN_METHOD,
          call(caller, 11, "target", "slow").error().code(),
          "allowed pair but the method is not registered");
      for (RawClient c : List.of(caller, target, watcher, hidden)) {
        c.close();
      }
    }
    List<String> lines = Files.readAllLines(audit);
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.contains("\"module\":\"caller\"")
                        && l.contains("call_module:target.echo")
                        && l.contains("\"allowed\"")),
        String.join("\n", lines));
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.contains("\"module\":\"watcher\"")
                        && l.contains("call_module:target.echo")
                        && l.contains("\"denied\"")),
        String.join("\n", lines));
  }

  @Test
  void callModule_targetTimesOut_timeoutErrorAndCallerKeepsWorking() throws Exception {
    try (LoaderFixture fx = callFixture()) {
      fx.start(b -> b.callTimeout(Duration.ofMillis(300)));
      RawClient caller = fx.handshake("caller");
      RawClient target = fx.handshake("target");
      register(target, "slow");
      Message.Response r = call(caller, 3, "target", "slow");
      assertEquals(ErrorCode.TIMEOUT, r.error().code());
      Message.Invoke late = target.expect(Message.Invoke.class);
      target.send(Message.Response.ok(late.id(), target.codec.toTree(Map.of())));
      // the late answer is discarded; the next call works
      caller.send(new Message.Request(4, "discover_modules", null));
      Message.Response next = caller.expect(Message.Response.class);
      assertEquals(4, next.id());
      caller.close();
      target.close();
    }
  }

  @Test
  void callModule_targetCrashesMidCall_cleanErrorNotAHang() throws Exception {
    try (LoaderFixture fx = callFixture()) {
      fx.start(b -> b.callTimeout(Duration.ofSeconds(30)));
      RawClient caller = fx.handshake("caller");
      RawClient target = fx.handshake("target");
      register(target, "echo");
      caller.send(
          request(5, "call_module", new Api.CallModuleParams("target", "echo", null), caller));
      target.expect(Message.Invoke.class);
      long start = System.nanoTime();
      target.close(); // the target dies holding the call
      Message.Response r = caller.expect(Message.Response.class);
      assertEquals(ErrorCode.UNAVAILABLE, r.error().code());
      assertTrue(
          System.nanoTime() - start < Duration.ofSeconds(20).toNanos(),
          "answered before the 30 s deadline");
      assertEquals(
          ErrorCode.UNAVAILABLE,
          call(caller, 6, "target", "echo").error().code(),
          "a failed target is unavailable");
      caller.close();
    }
  }

  @Test
  void callModule_targetCallsBackIntoCaller_noDeadlock() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"call_module\", \"register_module_api\"]\n"
                    + "callable_modules = [\"a\", \"b\"]\n")
            .module("a", "\"call_module\", \"register_module_api\"", "\"pong\"")
            .module("b", "\"call_module\", \"register_module_api\"", "\"ping\"")) {
      fx.start(b -> b.callTimeout(Duration.ofSeconds(10)));
      RawClient a = fx.handshake("a");
      RawClient b = fx.handshake("b");
      register(a, "pong");
      register(b, "ping");
      // a calls b.ping; while a waits, b calls a.pong; a answers; b answers a
      a.send(request(1, "call_module", new Api.CallModuleParams("b", "ping", null), a));
      Message.Invoke ping = b.expect(Message.Invoke.class);
      assertEquals("a", ping.caller());
      b.send(request(2, "call_module", new Api.CallModuleParams("a", "pong", null), b));
      Message.Invoke pong = a.expect(Message.Invoke.class);
      assertEquals("b", pong.caller());
      a.send(Message.Response.ok(pong.id(), a.codec.toTree(Map.of("pong", true))));
      Message.Response bGot = b.expect(Message.Response.class);
      assertEquals(2, bGot.id());
      assertTrue(bGot.result().get("pong").asBoolean());
      b.send(Message.Response.ok(ping.id(), b.codec.toTree(Map.of("ping", true))));
      Message.Response aGot = a.expect(Message.Response.class);
      assertEquals(1, aGot.id());
      assertTrue(aGot.result().get("ping").asBoolean());
      a.close();
      b.close();
    }
  }

  // ------------------------------------------------------------------ restart

  /** Waits until the launcher launched the module again (a new launch token). */
  private static String awaitRelaunch(LoaderFixture fx, String module, String oldToken)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      String t = fx.launcher.token(module);
      if (!t.equals(oldToken)) {
        return t;
      }
      Thread.sleep(5);
    }
    throw new AssertionError(module + " was not restarted");
  }

  /** Waits until the restart policy decided on {@code n} failures of the module. */
  private static void awaitDecisions(LoaderFixture fx, String module, long n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (fx.manager.restartPolicy().decisions(module) < n) {
      assertTrue(System.nanoTime() < deadline, "no restart decision for " + module);
      Thread.onSpinWait();
    }
  }

  @Test
  void restart_disconnectOnOverflowAndCrash_restartedUpToMaxThenStaysFailed() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
                    + "event_overflow = \"disconnect\"\n"
                    + "restart = { mode = \"on_failure\", max_restarts = 2, window_seconds = 600,"
                    + " backoff_initial_ms = 10, backoff_max_ms = 40 }\n")
            .module("flaky", READER, "")) {
      fx.start(b -> b.eventQueue(16, 16L << 20));
      String token = fx.launcher.token("flaky");
      RawClient first = fx.handshake("flaky");
      subscribe(first, "NewBlock");
      // 1: it stops reading; its queue overflows; disconnect, then restart
      for (int i = 1; fx.manager.queueOverflows("flaky") == 0 && i < 1_000_000; i++) {
        fx.manager.publish(EventType.NewBlock, block(i));
      }
      token = awaitRelaunch(fx, "flaky", token);
      assertEquals(1, fx.manager.restarts("flaky"));
      first.close();
      // the restarted module has a fresh token and works
      try (RawClient second = fx.handshake("flaky")) {
        second.send(new Message.Request(2, "get_chain_tip", null));
        assertNull(second.expect(Message.Response.class).error());
        // 2: it crashes; restarted again
        fx.launcher.exit("flaky", 3);
        token = awaitRelaunch(fx, "flaky", token);
      }
      assertEquals(2, fx.manager.restarts("flaky"));
      try (RawClient third = fx.handshake("flaky")) {
        // 3: the budget of 2 restarts is spent: it stays FAILED and says why
        fx.launcher.exit("flaky", 3);
        assertTrue(fx.manager.awaitState("flaky", ModuleState.FAILED, Duration.ofSeconds(5)));
        awaitDecisions(fx, "flaky", 3);
        assertEquals(2, fx.manager.restartPolicy().scheduled("flaky"), "no third restart");
        assertEquals(token, fx.launcher.token("flaky"));
        assertEquals(2, fx.manager.restarts("flaky"));
        ModuleStatus st = fx.manager.status("flaky").orElseThrow();
        assertEquals(ModuleState.FAILED, st.state());
        assertTrue(st.detail().contains("max_restarts"), st.detail());
      }
    }
  }

  @Test
  void restart_modeNever_failedModuleStaysDown() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\"]\n"
                    + "restart = { mode = \"never\", backoff_initial_ms = 10 }\n")
            .module("once", "\"read_blockchain\"", "")) {
      fx.start(b -> {});
      String token = fx.launcher.token("once");
      try (RawClient c = fx.handshake("once")) {
        fx.launcher.exit("once", 1);
        assertTrue(fx.manager.awaitState("once", ModuleState.FAILED, Duration.ofSeconds(5)));
        awaitDecisions(fx, "once", 1);
        assertEquals(0, fx.manager.restartPolicy().scheduled("once"), "restart mode never");
        assertEquals(token, fx.launcher.token("once"));
        assertEquals(0, fx.manager.restarts("once"));
      }
    }
  }

  @Test
  void eventsDropped_isInTheCatalog_andOnlyConnectionsSendIt() throws Exception {
    assertNotNull(EventType.fromWire("EventsDropped").orElse(null));
    assertFalse(Dispatcher.CUSTOM_TOPIC.matcher("EventsDropped").matches());
    try (LoaderFixture fx = new LoaderFixture(tmp).module("m", READER, "")) {
      fx.start(b -> {});
      org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class,
          () ->
              fx.manager.publish(
                  EventType.EventsDropped, new EventPayloads.EventsDropped(1, 1, 1)));
    }
  }
}
