package org.blvm.sdk;

import static org.blvm.sdk.TestClients.builder;
import static org.blvm.testsupport.FakeNode.CODEC;
import static org.blvm.testsupport.FakeNode.JSON;
import static org.blvm.testsupport.FakeNode.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.LogCapture;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
final class ModuleClientTest {
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

  // ------------------------------------------------------------------ handshake and setup

  @Test
  void connect_withHandlersAndMethods_sendsHelloSubscribeRegisterReadyInOrder() throws Exception {
    client =
        builder(node)
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, p) -> {})
            .onCustomEvent("other.topic", e -> {})
            .serve("echo", (caller, params) -> params)
            .connect();

    assertEquals("mod-a", client.context().moduleId());
    assertEquals(List.of(Capability.READ_BLOCKCHAIN), client.context().capabilities());
    Message.Hello hello = assertInstanceOf(Message.Hello.class, node.next(WAIT));
    assertEquals(List.of(1), hello.versions());
    assertEquals(TOKEN, hello.token());
    Message.Request subscribe = assertInstanceOf(Message.Request.class, node.next(WAIT));
    assertEquals("subscribe_events", subscribe.method());
    assertEquals(1, subscribe.id());
    assertEquals(
        new Api.SubscribeParams(List.of("NewBlock", "other.topic")),
        CODEC.toValue(subscribe.params(), Api.SubscribeParams.class));
    Message.Request register = assertInstanceOf(Message.Request.class, node.next(WAIT));
    assertEquals("register_module_api", register.method());
    assertEquals(2, register.id());
    assertEquals(
        new Api.RegisterApiParams(List.of("echo")),
        CODEC.toValue(register.params(), Api.RegisterApiParams.class));
    Message.Request ready = assertInstanceOf(Message.Request.class, node.next(WAIT));
    assertEquals(NodeMethod.READY, ready.method());
    assertEquals(3, ready.id());
    assertNull(ready.params());
    assertTrue(client.isOpen());
  }

  @Test
  void connect_noHandlers_sendsOnlyHelloAndReady() throws Exception {
    client = builder(node).connect();

    assertInstanceOf(Message.Hello.class, node.next(WAIT));
    Message.Request ready = assertInstanceOf(Message.Request.class, node.next(WAIT));
    assertEquals(NodeMethod.READY, ready.method());
    assertEquals(1, ready.id());
  }

  @Test
  void connect_wrongToken_throwsWithCloseCode() {
    String wrong = "cd".repeat(32);
    ModuleConnectException e =
        assertThrows(ModuleConnectException.class, () -> builder(node).token(wrong).connect());

    assertEquals(ModuleConnectException.Reason.REJECTED, e.reason());
    assertEquals(ErrorCode.UNAUTHENTICATED, e.error().code());
    assertEquals("bad token", e.error().message());
    assertFalse(e.getMessage().contains(wrong), "the message must not contain the token");
  }

  @Test
  void connect_nodeNeverAnswersHello_throwsTimeout() {
    node.ignoreHello();
    long start = System.nanoTime();
    ModuleConnectException e =
        assertThrows(
            ModuleConnectException.class,
            () -> builder(node).handshakeTimeout(Duration.ofMillis(200)).connect());

    assertEquals(ModuleConnectException.Reason.TIMEOUT, e.reason());
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
  }

  @Test
  void connect_setupRequestRefused_throwsSetupFailedWithError() {
    node.respondWith(
        r ->
            r.method().equals("subscribe_events")
                ? Message.Response.error(
                    r.id(), ErrorValue.notCapable(Capability.READ_MEMPOOL, "no mempool for you"))
                : null);
    ModuleConnectException e =
        assertThrows(
            ModuleConnectException.class,
            () ->
                builder(node)
                    .onEvent(
                        EventType.MempoolTransactionAdded,
                        EventPayloads.MempoolTransactionAdded.class,
                        (ev, p) -> {})
                    .connect());

    assertEquals(ModuleConnectException.Reason.SETUP_FAILED, e.reason());
    assertEquals(ErrorCode.NOT_CAPABLE, e.error().code());
    assertEquals(Capability.READ_MEMPOOL, e.error().capability());
  }

  @Test
  void connect_socketDirMode0755_refusedBeforeConnecting() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (FakeNode open = new FakeNode(dir)) {
      ModuleConnectException e =
          assertThrows(ModuleConnectException.class, () -> builder(open).connect());

      assertEquals(ModuleConnectException.Reason.UNSAFE_SOCKET_DIRECTORY, e.reason());
      assertTrue(e.getMessage().contains("mode 0755, expected 0700"), e.getMessage());
      open.server().configureBlocking(false);
      assertNull(open.server().accept(), "the module must not have connected");
    }
  }

  @Test
  void connect_socketDirIsSymlink_refusedBeforeConnecting() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("link"), node.dir());
    ModuleConnectException e =
        assertThrows(
            ModuleConnectException.class,
            () -> builder(node).socket(link.resolve("node.sock")).connect());

    assertEquals(ModuleConnectException.Reason.UNSAFE_SOCKET_DIRECTORY, e.reason());
    assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
    assertTrue(node.inbox().isEmpty(), "the module must not have sent anything");
  }

  @Test
  void verifyPrivate_dirOwnedByAnotherUid_refused() throws Exception {
    long mine = (Integer) Files.getAttribute(node.dir(), "unix:uid");
    ModuleConnectException e =
        assertThrows(
            ModuleConnectException.class,
            () -> SocketDirectory.verifyPrivate(node.socket(), mine + 1));

    assertEquals(ModuleConnectException.Reason.UNSAFE_SOCKET_DIRECTORY, e.reason());
    assertTrue(
        e.getMessage().contains("owned by uid " + mine + ", expected this process's uid"),
        e.getMessage());
  }

  @Test
  void builder_argsOverrideEnvironment() throws Exception {
    Map<String, String> env =
        Map.of(
            ModuleClient.ENV_SOCKET, tmp.resolve("nowhere.sock").toString(),
            ModuleClient.ENV_TOKEN, "00".repeat(32));
    String[] args = {"--verbose", "--blvm-socket=" + node.socket(), "--blvm-token=" + TOKEN};

    client = new ModuleClient.Builder(env, args).connect();

    assertEquals(TOKEN, assertInstanceOf(Message.Hello.class, node.next(WAIT)).token());
  }

  @Test
  void builder_noToken_throwsConfiguration() {
    Map<String, String> env = Map.of(ModuleClient.ENV_SOCKET, node.socket().toString());
    ModuleConnectException e =
        assertThrows(
            ModuleConnectException.class,
            () -> new ModuleClient.Builder(env, new String[0]).connect());

    assertEquals(ModuleConnectException.Reason.CONFIGURATION, e.reason());
    assertTrue(e.getMessage().contains("BLVM_TOKEN"), e.getMessage());
  }

  @Test
  void builder_shortToken_throwsConfigurationWithoutEchoingIt() {
    ModuleConnectException e =
        assertThrows(ModuleConnectException.class, () -> builder(node).token("0123abcd").connect());

    assertEquals(ModuleConnectException.Reason.CONFIGURATION, e.reason());
    assertEquals("the token must be 64 hex characters, found 8 characters", e.getMessage());
  }

  // ------------------------------------------------------------------ calls

  @Test
  void api_getBlock_sendsWireParamsAndDecodesResult() throws Exception {
    Api.Block block =
        new Api.Block(
            new Api.BlockHeader(hash(7), hash(6), hash(99), 7, 1_700_000_000L, 0x1d00ffff, 42, 4),
            List.of(hash(1000), hash(1001)),
            512);
    node.respondWith(
        r ->
            r.method().equals("get_block")
                ? Message.Response.ok(r.id(), CODEC.toTree(block))
                : null);
    client = builder(node).connect();

    assertEquals(block, client.api().getBlock(hash(7)));

    Message.Request sent = lastRequest("get_block");
    assertEquals(JSON.objectNode().put("hash", hash(7)), sent.params());
  }

  @Test
  void call_errorAnswer_throwsWithErrorValueAndConnectionStaysUsable() throws Exception {
    node.respondWith(
        r ->
            switch (r.method()) {
              case "get_mempool_size" ->
                  Message.Response.error(
                      r.id(),
                      ErrorValue.notCapable(Capability.READ_MEMPOOL, "read_mempool needed"));
              case "get_block_height" ->
                  Message.Response.ok(r.id(), JSON.objectNode().put("height", 12));
              default -> null;
            });
    client = builder(node).connect();

    NodeApiException e = assertThrows(NodeApiException.class, () -> client.api().getMempoolSize());

    assertEquals("get_mempool_size", e.method());
    assertEquals(ErrorCode.NOT_CAPABLE, e.code());
    assertEquals(Capability.READ_MEMPOOL, e.capability());
    assertEquals("read_mempool needed", e.error().message());
    assertEquals(12, client.api().getBlockHeight());
  }

  @Test
  void call_noAnswerInTime_throwsTimeoutAndLateAnswerIsIgnored() throws Exception {
    List<Message.Request> held = Collections.synchronizedList(new ArrayList<>());
    node.respondWith(
        r -> {
          if (r.method().equals("get_block_height")) {
            if (held.isEmpty()) {
              held.add(r); // first one: hold it, answer it late
              return null;
            }
            return Message.Response.ok(r.id(), JSON.objectNode().put("height", 2));
          }
          return null;
        });
    client = builder(node).requestTimeout(Duration.ofMillis(200)).connect();

    NodeApiException e = assertThrows(NodeApiException.class, () -> client.api().getBlockHeight());

    assertEquals(ErrorCode.TIMEOUT, e.code());
    node.send(Message.Response.ok(held.get(0).id(), JSON.objectNode().put("height", 1)));
    assertEquals(2, client.api().getBlockHeight());
    assertTrue(client.isOpen());
  }

  @Test
  void api_concurrentCallsWhileEventsStream_eachCallerGetsItsOwnAnswer() throws Exception {
    int threads = 8;
    int callsEach = 25;
    int eventCount = 500;
    List<Message.Request> batch = new ArrayList<>();
    node.respondWith(
        r -> {
          if (!r.method().equals("get_block_hash")) {
            return null;
          }
          List<Message.Request> answerNow = null;
          synchronized (batch) {
            batch.add(r);
            if (batch.size() == threads) { // every caller waiting: answer in reverse order
              answerNow = new ArrayList<>(batch);
              batch.clear();
            }
          }
          if (answerNow != null) {
            Collections.reverse(answerNow);
            for (Message.Request q : answerNow) {
              long height = q.params().get("height").longValue();
              sendQuietly(Message.Response.ok(q.id(), JSON.objectNode().put("hash", hash(height))));
            }
          }
          return null;
        });
    List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
    client =
        builder(node)
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, p) -> seqs.add(e.seq()))
            .connect();

    Thread streamer =
        new Thread(
            () -> {
              for (int i = 1; i <= eventCount; i++) {
                sendQuietly(newBlockEvent(i, i));
              }
            });
    streamer.start();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int base = t * 1000;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < callsEach; i++) {
                    long height = base + i;
                    assertEquals(hash(height), client.api().getBlockHash(height));
                  }
                  return null;
                }));
      }
      for (Future<?> f : results) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    streamer.join();
    pollUntil(() -> seqs.size() == eventCount, "all events delivered");
    List<Long> expected = new ArrayList<>();
    for (long i = 1; i <= eventCount; i++) {
      expected.add(i);
    }
    assertEquals(expected, seqs);
  }

  // ------------------------------------------------------------------ callers reading answers

  @Test
  void call_oneAfterAnother_callerReadsItsOwnAnswerAndEventsOnTheWayKeepTheirOrder()
      throws Exception {
    int calls = 200;
    java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong();
    node.respondWith(
        r -> {
          if (!r.method().equals("get_block_height")) {
            return null;
          }
          long s = seq.incrementAndGet();
          sendQuietly(newBlockEvent(s, s)); // an event just before each answer
          return Message.Response.ok(r.id(), JSON.objectNode().put("height", s));
        });
    List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
    client =
        builder(node)
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, p) -> seqs.add(e.seq()))
            .connect();

    for (int i = 1; i <= calls; i++) {
      assertEquals(i, client.api().getBlockHeight());
    }

    pollUntil(() -> seqs.size() == calls, "every event delivered");
    for (int i = 0; i < calls; i++) {
      assertEquals(i + 1, seqs.get(i));
    }
    long own = ((DefaultModuleClient) client).responses().answersReadByCallers();
    // the first call after the connect may find the reader thread reading; after that the caller
    // reads its own answer (a wake-up less per call); allow for a slow machine
    assertTrue(own >= calls / 2, own + " of " + calls + " answers read by the caller itself");
  }

  @Test
  void call_answeredQuickly_callerPollsForItInsteadOfSleepingAndSlowAnswersStillArrive()
      throws Exception {
    assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "the client never spins on one CPU");
    java.util.concurrent.atomic.AtomicLong delayEvery =
        new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong n = new java.util.concurrent.atomic.AtomicLong();
    node.respondWith(
        r -> {
          if (!r.method().equals("get_block_height")) {
            return null;
          }
          long i = n.incrementAndGet();
          long every = delayEvery.get();
          if (every > 0 && i % every == 0) {
            sleepQuietly(5); // far beyond the spin: the caller must fall back to waiting
          }
          return Message.Response.ok(r.id(), JSON.objectNode().put("height", i));
        });
    client = builder(node).connect();
    ResponseReader c = ((DefaultModuleClient) client).responses();
    // answers come at once from a thread of this JVM: within the spin on any but a starved machine
    for (int i = 1; i <= 5000 && c.answersWhileSpinning() == 0; i++) {
      assertEquals(n.get() + 1, client.api().getBlockHeight());
    }
    assertTrue(c.answersWhileSpinning() > 0, "no answer was read while the caller polled");
    delayEvery.set(3);
    for (int i = 0; i < 30; i++) {
      assertEquals(n.get() + 1, client.api().getBlockHeight());
    }
  }

  @Test
  void call_interruptedWhileReadingItsAnswer_failsAndTheConnectionStaysUsable() throws Exception {
    List<Message.Request> held = Collections.synchronizedList(new ArrayList<>());
    node.respondWith(
        r -> {
          if (!r.method().equals("get_block_height")) {
            return null;
          }
          if (held.isEmpty()) {
            held.add(r); // never answered
            return null;
          }
          return Message.Response.ok(r.id(), JSON.objectNode().put("height", 5));
        });
    client = builder(node).connect();
    CompletableFuture<Thread> callerThread = new CompletableFuture<>();
    CompletableFuture<Long> call =
        async(
            () -> {
              callerThread.complete(Thread.currentThread());
              return client.api().getBlockHeight();
            });
    lastRequest("get_block_height");

    callerThread.get(5, TimeUnit.SECONDS).interrupt();

    ExecutionException e =
        assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    NodeApiException cause = assertInstanceOf(NodeApiException.class, e.getCause());
    assertEquals(ErrorCode.UNAVAILABLE, cause.code());
    assertTrue(cause.getMessage().contains("interrupted"), cause.getMessage());
    assertTrue(client.isOpen(), "an interrupted caller must not close the connection");
    assertEquals(5, client.api().getBlockHeight());
  }

  @Test
  void events_afterACallEnds_deliveredWithoutFurtherCalls() throws Exception {
    node.respondWith(
        r ->
            r.method().equals("get_block_height")
                ? Message.Response.ok(r.id(), JSON.objectNode().put("height", 1))
                : null);
    CountDownLatch got = new CountDownLatch(3);
    client =
        builder(node)
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, p) -> got.countDown())
            .connect();
    assertEquals(1, client.api().getBlockHeight());

    for (int i = 1; i <= 3; i++) {
      node.send(newBlockEvent(i, i)); // nobody calls again: the reader thread must pick these up
    }

    assertTrue(got.await(5, TimeUnit.SECONDS), "events after the last call were not delivered");
  }

  // ------------------------------------------------------------------ events

  @Test
  void events_typedAndCustom_deliveredInArrivalOrderOnOneThread() throws Exception {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    client =
        builder(node)
            .onEvent(
                EventType.NewBlock,
                EventPayloads.NewBlock.class,
                (e, p) ->
                    seen.add(
                        e.seq() + ":block:" + p.height() + ":" + Thread.currentThread().getName()))
            .onCustomEvent(
                "peer.topic",
                e ->
                    seen.add(
                        e.seq() + ":custom:" + e.source() + ":" + Thread.currentThread().getName()))
            .connect();

    node.send(newBlockEvent(1, 100));
    node.send(new Message.Event(2, "peer.topic", "mod-b", JSON.objectNode()));
    node.send(new Message.Event(3, "not.subscribed", "mod-b", JSON.objectNode()));
    node.send(newBlockEvent(4, 101));
    pollUntil(() -> seen.size() == 3, "three events delivered");

    assertEquals(
        List.of(
            "1:block:100:blvm-sdk-events",
            "2:custom:mod-b:blvm-sdk-events",
            "4:block:101:blvm-sdk-events"),
        seen);
  }

  @Test
  void events_handlerQueueFull_laterEventsDroppedWithWarningAndSeqGap() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Long> seen = Collections.synchronizedList(new ArrayList<>());
    node.respondWith(
        r ->
            r.method().equals("get_chain_tip")
                ? Message.Response.ok(r.id(), CODEC.toTree(new Api.ChainTip(hash(1), 1)))
                : null);
    client =
        builder(node)
            .eventQueueCapacity(2)
            .onEvent(
                EventType.NewBlock,
                EventPayloads.NewBlock.class,
                (e, p) -> {
                  seen.add(e.seq());
                  if (e.seq() == 1) {
                    release.await();
                  }
                })
            .connect();
    node.send(newBlockEvent(1, 1));
    pollUntil(() -> seen.size() == 1, "the first event is being handled");
    for (int i = 2; i <= 10; i++) {
      node.send(newBlockEvent(i, i));
    }
    // the reader handles frames in order: once this answer is read, all ten events were too
    client.api().getChainTip();
    release.countDown();
    pollUntil(() -> seen.contains(3L), "the two queued events delivered");
    node.send(newBlockEvent(11, 11));
    pollUntil(() -> seen.contains(11L), "the event after the gap delivered");

    assertEquals(List.of(1L, 2L, 3L, 11L), seen);
    Message.Log warn = node.nextOf(Message.Log.class, WAIT);
    assertEquals(Message.LogLevel.WARN, warn.level());
    assertTrue(warn.message().contains("7 events dropped before seq 11"), warn.message());
  }

  @Test
  void events_nodeDroppedEvents_warningLoggedAndHandlerCalledWhenRegistered() throws Exception {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    client =
        builder(node)
            .onEvent(
                EventType.NewBlock,
                EventPayloads.NewBlock.class,
                (e, p) -> seen.add("block:" + e.seq()))
            .onEvent(
                EventType.EventsDropped,
                EventPayloads.EventsDropped.class,
                (e, p) -> seen.add("dropped:" + p.count() + ":" + p.firstSeq() + ":" + p.lastSeq()))
            .connect();
    node.send(newBlockEvent(1, 1));
    node.send(
        new Message.Event(
            4, "EventsDropped", null, CODEC.toTree(new EventPayloads.EventsDropped(3, 2, 4))));
    node.send(newBlockEvent(5, 5));
    pollUntil(() -> seen.size() == 3, "three events delivered");

    assertEquals(List.of("block:1", "dropped:3:2:4", "block:5"), seen);
    Message.Log warn = node.nextOf(Message.Log.class, WAIT);
    assertEquals(Message.LogLevel.WARN, warn.level());
    assertTrue(warn.message().contains("dropped 3 events (seq 2..4)"), warn.message());
  }

  @Test
  void events_handlerThrows_laterEventsStillDeliveredAndFailureLoggedHereAndToTheNode()
      throws Exception {
    List<Long> seen = Collections.synchronizedList(new ArrayList<>());
    List<String> logged = Collections.synchronizedList(new ArrayList<>());
    LogCapture capture = LogCapture.install("blvm.sdk", logged);
    try {
      client =
          builder(node)
              .onEvent(
                  EventType.NewBlock,
                  EventPayloads.NewBlock.class,
                  (e, p) -> {
                    seen.add(e.seq());
                    if (e.seq() == 1) {
                      throw new IllegalStateException("boom");
                    }
                  })
              .connect();

      node.send(newBlockEvent(1, 1));
      node.send(newBlockEvent(2, 2));
      pollUntil(() -> seen.size() == 2, "both events delivered");

      Message.Log log = node.nextOf(Message.Log.class, WAIT);
      assertEquals(Message.LogLevel.ERROR, log.level());
      assertEquals(
          "handler for event NewBlock seq 1 failed: java.lang.IllegalStateException: boom",
          log.message());
      // through System.Logger (never raw stderr), with the stack trace
      String lines = String.join("", logged);
      assertTrue(lines.contains("handler for event NewBlock seq 1 failed"), lines);
      assertTrue(lines.contains("java.lang.IllegalStateException: boom"), lines);
      assertTrue(lines.contains("(ModuleClientTest.java:"), lines);
    } finally {
      capture.uninstall();
    }
  }

  // ------------------------------------------------------------------ invokes

  @Test
  void invoke_servedMethod_answeredWithHandlerResultOnInvokeThread() throws Exception {
    client =
        builder(node)
            .serve(
                "echo",
                (caller, params) ->
                    JSON.objectNode()
                        .put("caller", caller)
                        .put("thread", Thread.currentThread().getName())
                        .set("params", params))
            .connect();

    node.send(new Message.Invoke(7, "echo", JSON.objectNode().put("x", 1), "mod-b"));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(7, r.id());
    assertNull(r.error());
    assertEquals("mod-b", r.result().get("caller").textValue());
    assertTrue(r.result().get("thread").textValue().startsWith("blvm-sdk-invoke-"));
    assertEquals(JSON.objectNode().put("x", 1), r.result().get("params"));
  }

  @Test
  void invoke_unknownMethod_answersUnknownMethod() throws Exception {
    client = builder(node).serve("echo", (caller, params) -> params).connect();

    node.send(new Message.Invoke(8, "nope", null, "mod-b"));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(8, r.id());
    assertEquals(ErrorCode.UNKNOWN_METHOD, r.error().code());
    assertTrue(r.error().message().contains("\"nope\""), r.error().message());
  }

  @Test
  void invoke_handlerThrows_answersInternal() throws Exception {
    client =
        builder(node)
            .serve(
                "fail",
                (caller, params) -> {
                  throw new IllegalStateException("broken on purpose");
                })
            .connect();

    node.send(new Message.Invoke(9, "fail", null, "mod-b"));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(9, r.id());
    assertEquals(ErrorCode.INTERNAL, r.error().code());
    assertTrue(r.error().message().contains("broken on purpose"), r.error().message());
    assertTrue(client.isOpen());
  }

  @Test
  void invoke_handlerRefuses_answersWithItsCodeAndMessage() throws Exception {
    client =
        builder(node)
            .serve(
                "route",
                (caller, params) -> {
                  throw new MethodRefusedException(ErrorCode.NOT_FOUND, "no route to \"x\"");
                })
            .connect();

    node.send(new Message.Invoke(10, "route", null, "mod-b"));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(10, r.id());
    assertEquals(ErrorCode.NOT_FOUND, r.error().code());
    assertEquals("no route to \"x\"", r.error().message());
    assertTrue(client.isOpen());
    assertThrows(
        IllegalArgumentException.class,
        () -> new MethodRefusedException(ErrorCode.SHUTDOWN, "close-only"));
  }

  @Test
  void invoke_handlerCallsBackIntoNode_answersWithoutDeadlock() throws Exception {
    CompletableFuture<Message.Request> callModule = new CompletableFuture<>();
    node.respondWith(
        r -> {
          if (r.method().equals("call_module")) {
            // route the call back into this same module; answer call_module after it answered
            callModule.complete(r);
            sendQuietly(new Message.Invoke(501, "echo", r.params().get("params"), "mod-a"));
          }
          return null;
        });
    client =
        builder(node)
            .serve("echo", (caller, params) -> params)
            .serve("call_back", (caller, params) -> client.api().callModule(caller, "echo", params))
            .connect();

    node.send(new Message.Invoke(500, "call_back", JSON.objectNode().put("n", 5), "mod-b"));
    Message.Response echo = node.nextOf(Message.Response.class, WAIT);
    assertEquals(501, echo.id());
    Message.Request request = callModule.get(5, TimeUnit.SECONDS);
    assertEquals("mod-b", request.params().get("target").textValue());
    assertEquals("echo", request.params().get("method").textValue());
    node.send(Message.Response.ok(request.id(), echo.result()));
    Message.Response outer = node.nextOf(Message.Response.class, WAIT);

    assertEquals(500, outer.id());
    assertEquals(JSON.objectNode().put("n", 5), outer.result());
  }

  @Test
  void invoke_stop_runsOnStopAnswersAndShutsDown() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    client = builder(node).onStop(stopped::countDown).connect();

    node.send(new Message.Invoke(41, "stop", JSON.objectNode().put("grace_ms", 1000), null));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(41, r.id());
    assertEquals(JSON.objectNode(), r.result());
    assertEquals(0, stopped.getCount(), "onStop must run before the answer");
    assertTrue(client.awaitShutdown(WAIT));
    assertEquals(ErrorCode.SHUTDOWN, client.closeReason().orElseThrow().code());
    assertEquals(ErrorCode.SHUTDOWN, node.nextOf(Message.Close.class, WAIT).code());
    NodeApiException e = assertThrows(NodeApiException.class, () -> client.api().getChainTip());
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
  }

  @Test
  void invoke_stopFromAModule_isNotLifecycle() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    client = builder(node).onStop(stopped::countDown).connect();

    node.send(new Message.Invoke(42, "stop", null, "mod-b"));
    Message.Response r = node.nextOf(Message.Response.class, WAIT);

    assertEquals(ErrorCode.UNKNOWN_METHOD, r.error().code());
    assertEquals(1, stopped.getCount());
    assertTrue(client.isOpen());
  }

  // ------------------------------------------------------------------ closing

  @Test
  void connectionDropped_pendingCallFailsUnavailable() throws Exception {
    client = builder(node).connect();
    CompletableFuture<Long> call = async(() -> client.api().getBlockHeight());
    lastRequest("get_block_height");

    node.drop();

    ExecutionException e =
        assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    assertEquals(
        ErrorCode.UNAVAILABLE, assertInstanceOf(NodeApiException.class, e.getCause()).code());
    assertTrue(client.awaitShutdown(WAIT));
    assertEquals(ErrorCode.UNAVAILABLE, client.closeReason().orElseThrow().code());
  }

  @Test
  void nodeSendsClose_pendingCallFailsAndReasonRecorded() throws Exception {
    client = builder(node).connect();
    CompletableFuture<Long> call = async(() -> client.api().getBlockHeight());
    lastRequest("get_block_height");

    node.send(new Message.Close(ErrorCode.SHUTDOWN, "node stopping"));

    ExecutionException e =
        assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    NodeApiException cause = assertInstanceOf(NodeApiException.class, e.getCause());
    assertEquals(ErrorCode.UNAVAILABLE, cause.code());
    assertTrue(cause.getMessage().contains("node stopping"), cause.getMessage());
    assertTrue(client.awaitShutdown(WAIT));
    assertEquals(
        ErrorValue.of(ErrorCode.SHUTDOWN, "node stopping"), client.closeReason().orElseThrow());
  }

  @Test
  void undecodableFrame_closesWithProtocolErrorAndFailsPendingCalls() throws Exception {
    client = builder(node).connect();
    CompletableFuture<Long> call = async(() -> client.api().getBlockHeight());
    lastRequest("get_block_height");

    node.sendRaw(Frames.frame(new byte[] {(byte) 0xff, 0x00, 0x01}));

    Message.Close close = node.nextOf(Message.Close.class, WAIT);
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    assertEquals(
        ErrorCode.UNAVAILABLE, assertInstanceOf(NodeApiException.class, e.getCause()).code());
    assertTrue(client.awaitShutdown(WAIT));
    assertEquals(ErrorCode.PROTOCOL_ERROR, client.closeReason().orElseThrow().code());
  }

  @Test
  void close_calledTwice_sendsOneCloseAndReleasesAwait() throws Exception {
    client = builder(node).connect();

    client.close();
    client.close();

    assertTrue(client.awaitShutdown(WAIT));
    assertTrue(node.awaitDisconnect(WAIT), "the module must close the socket");
    assertEquals(1, node.inbox().stream().filter(m -> m instanceof Message.Close).count());
    assertEquals(ErrorCode.SHUTDOWN, node.nextOf(Message.Close.class, WAIT).code());
  }

  @Test
  void log_sendsLogMessage() throws Exception {
    client = builder(node).connect();

    client.log(Message.LogLevel.INFO, "hello node");

    Message.Log log = node.nextOf(Message.Log.class, WAIT);
    assertEquals(Message.LogLevel.INFO, log.level());
    assertEquals("hello node", log.message());
  }

  // ------------------------------------------------------------------ typed calls of the catalog

  /**
   * Every catalog method but the lifecycle ones the SDK sends itself has a typed call (the brokered
   * network's are {@code connect} and {@code listen}).
   */
  @Test
  void nodeApi_hasATypedCallForEveryCatalogMethod() {
    Set<String> typed =
        Arrays.stream(NodeApi.class.getMethods())
            .map(Method::getName)
            .map(n -> n.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT))
            .collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>();
    for (NodeMethod m : NodeMethod.values()) {
      boolean sentByTheSdk =
          m == NodeMethod.SUBSCRIBE_EVENTS || m == NodeMethod.REGISTER_MODULE_API;
      String name =
          switch (m) {
            case PUBLISH_EVENT -> "publish_event";
            case NET_CONNECT -> "connect";
            case NET_LISTEN -> "listen";
            default -> m.wireName();
          };
      if (!sentByTheSdk && !typed.contains(name)) {
        missing.add(m.wireName());
      }
    }
    assertEquals(Set.of(), missing);
  }

  @Test
  void getUtxo_sendsTxidAndVout_decodesTheCoin() throws Exception {
    Api.Utxo coin =
        new Api.Utxo(hash(5), 1, 50_000, "bcrt1qexample", "0014" + "ab".repeat(20), 9, true);
    node.respondWith(
        r ->
            r.method().equals("get_utxo") ? Message.Response.ok(r.id(), CODEC.toTree(coin)) : null);
    client = builder(node).connect();

    assertEquals(coin, client.api().getUtxo(hash(5), 1));
    assertEquals(
        JSON.objectNode().put("txid", hash(5)).put("vout", 1), lastRequest("get_utxo").params());
  }

  @Test
  void getUtxo_notCapable_throwsNamingTheCapability() throws Exception {
    node.respondWith(
        r ->
            r.method().equals("get_utxo")
                ? Message.Response.error(
                    r.id(), ErrorValue.notCapable(Capability.READ_UTXO, "read_utxo needed"))
                : null);
    client = builder(node).connect();

    NodeApiException e =
        assertThrows(NodeApiException.class, () -> client.api().getUtxo(hash(5), 0));
    assertEquals(ErrorCode.NOT_CAPABLE, e.code());
    assertEquals(Capability.READ_UTXO, e.capability());
  }

  @Test
  void getUtxo_badArguments_refusedBeforeSending() throws Exception {
    client = builder(node).connect();
    assertThrows(IllegalArgumentException.class, () -> client.api().getUtxo("zz", 0));
    assertThrows(IllegalArgumentException.class, () -> client.api().getUtxo(hash(1), -1));
  }

  @Test
  void sendTransaction_refusedByTheNode_isAResultNotAnException() throws Exception {
    Api.SendTransactionResult refused = new Api.SendTransactionResult(hash(3), false, "dust");
    node.respondWith(
        r ->
            r.method().equals("send_transaction")
                ? Message.Response.ok(r.id(), CODEC.toTree(refused))
                : null);
    client = builder(node).connect();

    assertEquals(refused, client.api().sendTransaction("0200"));
    assertEquals(
        JSON.objectNode().put("raw_hex", "0200"), lastRequest("send_transaction").params());
  }

  @Test
  void sendTransaction_notCapable_throwsNamingTheCapability() throws Exception {
    node.respondWith(
        r ->
            r.method().equals("send_transaction")
                ? Message.Response.error(
                    r.id(),
                    ErrorValue.notCapable(Capability.SEND_TRANSACTIONS, "send_transactions needed"))
                : null);
    client = builder(node).connect();

    NodeApiException e =
        assertThrows(NodeApiException.class, () -> client.api().sendTransaction("00"));
    assertEquals(Capability.SEND_TRANSACTIONS, e.capability());
    assertThrows(IllegalArgumentException.class, () -> client.api().sendTransaction("0g"));
  }

  @Test
  void getMiningInfo_decodesTheResult() throws Exception {
    Api.MiningInfo info = new Api.MiningInfo(120, 0x207fffffL, 4.656542373906925e-10, 1.5, 2);
    node.respondWith(
        r ->
            r.method().equals("get_mining_info")
                ? Message.Response.ok(r.id(), CODEC.toTree(info))
                : null);
    client = builder(node).connect();

    assertEquals(info, client.api().getMiningInfo());
    Message.Request sent = lastRequest("get_mining_info");
    assertTrue(sent.params() == null || sent.params().isEmpty(), String.valueOf(sent.params()));
  }

  // ------------------------------------------------------------------ helpers

  static String hash(long n) {
    return String.format("%064x", n);
  }

  private static Message.Event newBlockEvent(long seq, long height) {
    JsonNode payload =
        CODEC.toTree(
            new EventPayloads.NewBlock(hash(height), height, hash(height - 1), 1_700_000_000L, 3));
    return new Message.Event(seq, EventType.NewBlock.wireName(), null, payload);
  }

  private void sendQuietly(Message m) {
    try {
      node.send(m);
    } catch (Exception e) {
      throw new AssertionError("fake node could not send " + m, e);
    }
  }

  /** Waits for the module's next request with this method, skipping other messages. */
  private Message.Request lastRequest(String method) throws InterruptedException {
    while (true) {
      Message.Request r = node.nextOf(Message.Request.class, WAIT);
      if (r.method().equals(method)) {
        return r;
      }
    }
  }

  private static <T> CompletableFuture<T> async(Callable<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(task.call());
              } catch (Throwable e) {
                f.completeExceptionally(e);
              }
            },
            "test-caller");
    t.setDaemon(true);
    t.start();
    return f;
  }

  private static void pollUntil(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    Poll.until(condition, WAIT, what);
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
