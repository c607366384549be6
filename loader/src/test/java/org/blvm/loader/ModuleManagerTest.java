package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H0;
import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleManagerTest {
  @TempDir Path tmp;
  LoaderFixture fx;

  @BeforeEach
  void setUp() throws Exception {
    fx =
        new LoaderFixture(tmp)
            .module("alpha", "\"read_blockchain\", \"subscribe_events\", \"call_module\"", "")
            .module(
                "beta",
                "\"subscribe_events\", \"publish_events\", \"register_module_api\"",
                "\"echo\"",
                "\"beta.news\"")
            .start(b -> b.helloTimeout(Duration.ofMillis(800)));
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  @Test
  void handshake_validToken_welcomeCarriesContextAndStateAdvances() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      Message.Welcome w = c.hello(fx.launcher.token("alpha"));
      assertEquals(1, w.version());
      assertEquals("alpha", w.context().moduleId());
      assertEquals("hi", w.context().config().get("greeting").asText());
      assertEquals(fx.launcher.moduleSocketPath("alpha"), w.context().socketPath());
      assertTrue(
          w.context()
              .capabilities()
              .containsAll(List.of(Capability.READ_BLOCKCHAIN, Capability.SUBSCRIBE_EVENTS)));
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));

      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
      assertNull(c.expect(Message.Response.class).error());
      assertEquals(ModuleState.SUBSCRIBED, fx.manager.status("alpha").orElseThrow().state());
      c.send(new Message.Request(2, NodeMethod.READY, null));
      assertNull(c.expect(Message.Response.class).error());
      assertTrue(fx.manager.awaitState("alpha", ModuleState.STARTED, Duration.ofSeconds(5)));
    }
  }

  @Test
  void socketDirectory_isPrivate() throws Exception {
    Path dir = Path.of(fx.launcher.socket("alpha")).getParent();
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    Path data = fx.launcher.specs.get("alpha").dataDir();
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
  }

  @Test
  void handshake_wrongToken_closedUnauthenticatedAndRightTokenStillWorks() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.send(new Message.Hello(List.of(1), "ff".repeat(32)));
      Message.Close close = c.expect(Message.Close.class);
      assertEquals(ErrorCode.UNAUTHENTICATED, close.code());
      assertTrue(c.closedByNode());
    }
    assertEquals(ModuleState.LOADED, fx.manager.status("alpha").orElseThrow().state());
    try (RawClient c = fx.handshake("alpha")) {
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));
    }
  }

  @Test
  void handshake_tokenOfAnotherModule_refused() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.send(new Message.Hello(List.of(1), fx.launcher.token("beta")));
      assertEquals(ErrorCode.UNAUTHENTICATED, c.expect(Message.Close.class).code());
    }
  }

  @Test
  void handshake_noCommonVersion_closedUnsupportedVersion() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.send(new Message.Hello(List.of(7, 8), fx.launcher.token("alpha")));
      Message.Close close = c.expect(Message.Close.class);
      assertEquals(ErrorCode.UNSUPPORTED_VERSION, close.code());
    }
  }

  @Test
  void handshake_tokenIsOneTime_secondConnectionRefusedAndDisconnectEndsModule() throws Exception {
    try (RawClient c = fx.handshake("alpha")) {
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));
      try (RawClient again = fx.connect("alpha")) {
        Message.Close close = again.expect(Message.Close.class);
        assertEquals(ErrorCode.UNAUTHENTICATED, close.code());
        assertTrue(close.message().contains("already connected"), close.message());
      }
    }
    assertTrue(fx.manager.awaitState("alpha", ModuleState.FAILED, Duration.ofSeconds(5)));
    assertTrue(fx.launcher.awaitSignal("alpha", "KILL"));
    try (RawClient c = fx.connect("alpha")) {
      assertTrue(c.closedByNode());
    } catch (java.io.IOException refusedAtConnect) {
      // the socket is already gone: also a refusal
    }
  }

  @Test
  void request_withoutCapability_notCapableAndConnectionKept() throws Exception {
    try (RawClient c = fx.handshake("beta")) {
      c.send(request(5, "get_block", new Api.HashParams(H1), c));
      Message.Response r = c.expect(Message.Response.class);
      assertEquals(5, r.id());
      assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
      assertEquals(Capability.READ_BLOCKCHAIN, r.error().capability());
      assertEquals(1, fx.manager.deniedCalls("beta"));
      c.send(new Message.Request(6, NodeMethod.READY, null));
      assertNull(c.expect(Message.Response.class).error());
    }
  }

  @Test
  void request_errors_eachAnsweredWithItsCodeAndConnectionKept() throws Exception {
    try (RawClient c = fx.handshake("alpha")) {
      c.send(new Message.Request(1, "no_such_method", null));
      assertEquals(ErrorCode.UNKNOWN_METHOD, c.expect(Message.Response.class).error().code());

      c.send(new Message.Request(2, "get_block", c.codec.toTree(Map.of("hash", "zz"))));
      Message.Response bad = c.expect(Message.Response.class);
      assertEquals(ErrorCode.INVALID_PARAMS, bad.error().code());
      assertEquals(
          "invalid params for get_block: params: hash must be 64 lowercase hex characters, found"
              + " \"zz\"",
          bad.error().message());

      c.send(new Message.Request(3, "get_block", c.codec.toTree(Map.of("hash", H1, "x", 1))));
      Message.Response unknown = c.expect(Message.Response.class);
      assertEquals(ErrorCode.INVALID_PARAMS, unknown.error().code());
      assertEquals(
          "invalid params for get_block: params has an unknown field \"x\"; allowed: hash",
          unknown.error().message());

      c.send(new Message.Request(31, "get_block", c.codec.toTree(Map.of("hash", 7))));
      assertEquals(
          "invalid params for get_block: params.hash: expected a text string, found the number 7",
          c.expect(Message.Response.class).error().message());

      c.send(request(4, "get_block", new Api.HashParams(H0), c));
      assertEquals(ErrorCode.NOT_FOUND, c.expect(Message.Response.class).error().code());

      c.send(request(5, "get_block", new Api.HashParams(H1), c));
      Message.Response ok = c.expect(Message.Response.class);
      assertNull(ok.error());
      assertEquals(
          LoaderFixture.SmallChain.block(H1, 1), c.codec.toValue(ok.result(), Api.Block.class));

      c.send(new Message.Request(6, "get_chain_tip", null));
      assertEquals(
          new Api.ChainTip(H1, 1),
          c.codec.toValue(c.expect(Message.Response.class).result(), Api.ChainTip.class));
    }
  }

  @Test
  void request_backendFailures_unavailableOrInternalWithoutDetails() throws Exception {
    try (RawClient c =
        new LoaderFixture(tmp.resolve("x"))
            .module("gamma", "\"read_network\", \"read_mempool\"", "")
            .start(b -> {})
            .handshake("gamma")) {
      c.send(new Message.Request(1, "get_network_stats", null));
      Message.Response r = c.expect(Message.Response.class);
      assertEquals(ErrorCode.INTERNAL, r.error().code());
      assertFalse(r.error().message().contains("secret"), r.error().message());
      c.send(new Message.Request(2, "get_mempool_size", null));
      assertEquals(ErrorCode.UNAVAILABLE, c.expect(Message.Response.class).error().code());
    }
  }

  @Test
  void subscribe_eventWithoutItsCapability_notCapable() throws Exception {
    try (RawClient c = fx.handshake("beta")) {
      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
      Message.Response r = c.expect(Message.Response.class);
      assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
      assertEquals(Capability.READ_BLOCKCHAIN, r.error().capability());
      c.send(request(2, "subscribe_events", new Api.SubscribeParams(List.of("Nope")), c));
      assertEquals(ErrorCode.INVALID_PARAMS, c.expect(Message.Response.class).error().code());
    }
  }

  @Test
  void publish_eventsArriveInOrderWithConsecutiveSequenceNumbers() throws Exception {
    try (RawClient c = fx.handshake("alpha")) {
      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
      c.expect(Message.Response.class);
      int n = 2000;
      for (int i = 1; i <= n; i++) {
        fx.manager.publish(EventType.NewBlock, new EventPayloads.NewBlock(H1, i, H0, i, 1));
      }
      // not subscribed: never delivered
      fx.manager.publish(
          EventType.PeerConnected, new EventPayloads.PeerConnected(1, "127.0.0.1:8333", true));
      for (int i = 1; i <= n; i++) {
        Message.Event e = assertInstanceOf(Message.Event.class, c.read());
        assertEquals(i, e.seq());
        assertEquals("NewBlock", e.type());
        assertNull(e.source());
        assertEquals(i, e.payload().get("height").asLong());
      }
    }
  }

  @Test
  void publish_wrongPayloadType_rejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> fx.manager.publish(EventType.NewBlock, new EventPayloads.NodeShutdown("x")));
  }

  @Test
  void moduleEvent_customTopicStampedWithSourceAndCoreTypeRefused() throws Exception {
    try (RawClient a = fx.handshake("alpha");
        RawClient b = fx.handshake("beta")) {
      a.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("beta.news")), a));
      a.expect(Message.Response.class);
      b.send(
          request(
              1,
              "publish_event",
              new Api.PublishEventParams("beta.news", a.codec.toTree(Map.of("n", 1))),
              b));
      Message.Response pr = b.expect(Message.Response.class);
      assertNull(pr.error());
      assertEquals(1, pr.result().get("delivered").asInt());
      Message.Event e = a.expect(Message.Event.class);
      assertEquals("beta", e.source());
      assertEquals("beta.news", e.type());

      b.send(
          request(
              2,
              "publish_event",
              new Api.PublishEventParams("NewBlock", a.codec.toTree(Map.of())),
              b));
      assertEquals(ErrorCode.NOT_CAPABLE, b.expect(Message.Response.class).error().code());
    }
  }

  @Test
  void callModule_routedWithAuthenticatedCallerAndAnswered() throws Exception {
    try (RawClient a = fx.handshake("alpha");
        RawClient b = fx.handshake("beta")) {
      b.send(request(1, "register_module_api", new Api.RegisterApiParams(List.of("echo")), b));
      assertNull(b.expect(Message.Response.class).error());
      a.send(
          request(
              7,
              "call_module",
              new Api.CallModuleParams("beta", "echo", a.codec.toTree(Map.of("x", 1))),
              a));
      Message.Invoke inv = b.expect(Message.Invoke.class);
      assertEquals("alpha", inv.caller());
      assertEquals("echo", inv.method());
      b.send(Message.Response.ok(inv.id(), b.codec.toTree(Map.of("y", 2))));
      Message.Response r = a.expect(Message.Response.class);
      assertEquals(7, r.id());
      assertEquals(2, r.result().get("y").asInt());

      a.send(request(8, "call_module", new Api.CallModuleParams("beta", "nope", null), a));
      assertEquals(ErrorCode.UNKNOWN_METHOD, a.expect(Message.Response.class).error().code());
      a.send(request(9, "call_module", new Api.CallModuleParams("zeta", "echo", null), a));
      assertEquals(ErrorCode.NOT_FOUND, a.expect(Message.Response.class).error().code());
    }
  }

  @Test
  void registerApi_undeclaredMethod_invalidParams() throws Exception {
    try (RawClient b = fx.handshake("beta")) {
      b.send(request(1, "register_module_api", new Api.RegisterApiParams(List.of("steal")), b));
      assertEquals(ErrorCode.INVALID_PARAMS, b.expect(Message.Response.class).error().code());
    }
  }

  @Test
  void stop_moduleAnswersStop_stoppedWithoutSignals() throws Exception {
    RawClient a = fx.handshake("alpha");
    Thread module =
        new Thread(
            () -> {
              try {
                Message.Invoke stop = a.expect(Message.Invoke.class);
                assertEquals("stop", stop.method());
                assertNull(stop.caller());
                a.send(Message.Response.ok(stop.id(), a.codec.toTree(Map.of())));
                fx.launcher.exit("alpha", 0);
                a.close();
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    module.start();
    ModuleStatus s = fx.manager.stopModule("alpha");
    module.join(5000);
    assertEquals(ModuleState.STOPPED, s.state());
    assertFalse(fx.launcher.signals.stream().anyMatch(x -> x.startsWith("alpha:")));
    assertFalse(Files.exists(Path.of(fx.launcher.socket("alpha"))));
  }

  @Test
  void stop_moduleIgnoresStop_terminatedAfterGrace() throws Exception {
    try (RawClient b = fx.handshake("beta")) {
      ModuleStatus s = fx.manager.stopModule("beta");
      assertEquals(ModuleState.STOPPED, s.state());
      assertEquals(List.of("beta:TERM"), fx.launcher.signals);
    }
  }

  @Test
  void crash_moduleExitsOnItsOwn_failedAndOthersKeepWorking() throws Exception {
    try (RawClient a = fx.handshake("alpha");
        RawClient b = fx.handshake("beta")) {
      a.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), a));
      a.expect(Message.Response.class);
      fx.launcher.exit("beta", 3);
      assertTrue(fx.manager.awaitState("beta", ModuleState.FAILED, Duration.ofSeconds(5)));
      assertTrue(fx.manager.status("beta").orElseThrow().detail().contains("status 3"));
      fx.manager.publish(EventType.NewBlock, new EventPayloads.NewBlock(H1, 1, H0, 1, 1));
      assertEquals("NewBlock", a.expect(Message.Event.class).type());
    }
  }

  @Test
  void admission_refusedModules_failedWithReasonOthersStart() throws Exception {
    Path root = tmp.resolve("m");
    LoaderFixture f2 = new LoaderFixture(root).module("good", "", "");
    // an invalid manifest cannot even be signed: it is refused as unsigned
    Path bad = root.resolve("modules/bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("module.toml"), "name = \"bad\"\nversion = \"1\"\n");
    // validly signed, but the manifest names another module than its directory
    Path mismatch = root.resolve("modules/other");
    Files.createDirectories(mismatch);
    Files.writeString(mismatch.resolve("m"), "binary");
    Files.writeString(
        mismatch.resolve("module.toml"),
        "name = \"good2\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"m\"\n");
    f2.sign(mismatch);
    // signed, then its binary was changed
    f2.module("tampered", "", "");
    Files.writeString(root.resolve("modules/tampered/mod"), "the binary of tamperex\n");
    try (f2) {
      f2.start(b -> {});
      assertEquals(ModuleState.FAILED, f2.manager.status("bad").orElseThrow().state());
      assertTrue(
          f2.manager.status("bad").orElseThrow().detail().contains("no signature found"),
          f2.manager.status("bad").orElseThrow().detail());
      assertTrue(
          f2.manager.status("other").orElseThrow().detail().contains("directory"),
          f2.manager.status("other").orElseThrow().detail());
      assertTrue(
          f2.manager.status("tampered").orElseThrow().detail().contains("SHA-256 is"),
          f2.manager.status("tampered").orElseThrow().detail());
      assertEquals(ModuleState.LOADED, f2.manager.status("good").orElseThrow().state());
      assertEquals(
          java.util.Set.of("good"), f2.launcher.specs.keySet(), "only admitted modules run");
    }
  }

  @Test
  void launch_environmentHoldsOnlyTheModulesOwnSettings() {
    LaunchSpec spec = fx.launcher.specs.get("alpha");
    Map<String, String> env = spec.environment("/seen/by/module.sock");
    assertEquals(
        java.util.Set.of("BLVM_SOCKET", "BLVM_TOKEN", "BLVM_DATA_DIR", "HOME", "PATH", "LANG"),
        env.keySet());
    assertEquals("/seen/by/module.sock", env.get("BLVM_SOCKET"));
    assertEquals(64, env.get("BLVM_TOKEN").length());
    assertEquals(spec.dataDir().toString(), env.get("BLVM_DATA_DIR"));
    assertFalse(
        env.get("BLVM_TOKEN").equals(fx.launcher.token("beta")), "each module gets its own token");
    assertFalse(spec.toString().contains(spec.token()), "the token is never printed");
  }

  @Test
  void launch_runsTheStoredCopy_notTheModuleDirectory() throws Exception {
    LaunchSpec spec = fx.launcher.specs.get("alpha");
    Path original = tmp.resolve("modules/alpha/mod");
    Path stored = spec.entry().executable();
    assertFalse(stored.startsWith(tmp.resolve("modules")), stored.toString());
    assertEquals(
        List.of(stored.getParent()),
        spec.readOnlyBinds(),
        "the stored copy of the module's files, never the module directory");
    assertTrue(stored.getParent().startsWith(tmp.resolve("state/store/trees")), stored.toString());
    // swapping the original after admission does not change what runs
    Files.writeString(original, "swapped\n");
    assertEquals("the binary of alpha\n", Files.readString(stored));
  }

  @Test
  void discover_symlinkedModuleDirectory_skipped() throws Exception {
    Path root = tmp.resolve("s");
    LoaderFixture f2 = new LoaderFixture(root).module("real", "", "");
    Files.createSymbolicLink(root.resolve("modules/linked"), root.resolve("modules/real"));
    try (f2) {
      f2.start(b -> {});
      assertTrue(f2.manager.status("linked").isEmpty());
      assertEquals(1, f2.manager.statuses().size());
    }
  }

  @Test
  void discover_moreModulesThanAllowed_refusedWithCount() throws Exception {
    LoaderFixture f2 = new LoaderFixture(tmp.resolve("n")).module("a", "", "").module("b", "", "");
    try (f2) {
      java.io.IOException e =
          assertThrows(java.io.IOException.class, () -> f2.start(b -> b.maxModules(1)));
      assertTrue(e.getMessage().contains("holds 2 module directories"), e.getMessage());
    }
  }

  @Test
  void start_socketPathTooLong_moduleFailedWithPath() throws Exception {
    LoaderFixture f2 = new LoaderFixture(tmp.resolve("p")).module("a", "", "");
    Path longRuntime = tmp.resolve("r".repeat(100));
    try (f2) {
      f2.start(b -> b.runtimeDir(longRuntime));
      ModuleStatus s = f2.manager.status("a").orElseThrow();
      assertEquals(ModuleState.FAILED, s.state());
      assertTrue(s.detail().contains("at most 107"), s.detail());
      assertTrue(f2.launcher.specs.isEmpty(), "nothing may be launched");
    }
  }

  @Test
  void publish_moduleStopsReading_disconnectedWhileOtherModuleGetsEverything() throws Exception {
    LoaderFixture f2 =
        new LoaderFixture(tmp.resolve("q"))
            .module("stalled", "\"read_blockchain\", \"subscribe_events\"", "")
            .module("reader", "\"read_blockchain\", \"subscribe_events\"", "");
    try (f2) {
      f2.start(b -> b.eventQueue(64, 16L << 20));
      RawClient stalled = f2.handshake("stalled");
      RawClient reader = f2.handshake("reader");
      for (RawClient c : List.of(stalled, reader)) {
        c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
        c.expect(Message.Response.class);
      }
      java.util.concurrent.atomic.AtomicLong received =
          new java.util.concurrent.atomic.AtomicLong();
      Thread drain =
          new Thread(
              () -> {
                try {
                  for (Message m; (m = reader.read()) != null; ) {
                    if (m instanceof Message.Event e) {
                      assertEquals(received.incrementAndGet(), e.seq());
                    }
                  }
                } catch (Exception e) {
                  // closed at the end of the test
                }
              });
      drain.start();
      int published = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (f2.manager.status("stalled").orElseThrow().state() != ModuleState.FAILED) {
        f2.manager.publish(
            EventType.NewBlock, new EventPayloads.NewBlock(H1, ++published, H0, 1, 1));
        // lockstep with the reading module, so only the stalled one can fall behind
        while (received.get() < published && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertTrue(System.nanoTime() < deadline, "stalled module never disconnected");
      }
      assertTrue(
          f2.manager.status("stalled").orElseThrow().detail().contains("not reading"),
          f2.manager.status("stalled").orElseThrow().detail());
      assertTrue(f2.launcher.awaitSignal("stalled", "KILL"));
      int total = published;
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (received.get() < total && System.nanoTime() < end) {
        Thread.onSpinWait();
      }
      assertEquals(total, received.get(), "the reading module lost events");
      stalled.close();
      reader.close();
      drain.join(5000);
    }
  }

  @Test
  void audit_everyDecisionAllowedAndDeniedRecorded_andRotated() throws Exception {
    LoaderFixture f2 =
        new LoaderFixture(tmp.resolve("a")).module("auditee", "\"read_blockchain\"", "");
    Path log = tmp.resolve("a/audit/audit.jsonl");
    try (f2) {
      f2.start(b -> b.auditLog(log, 4096, 2));
      try (RawClient c = f2.handshake("auditee")) {
        for (int i = 1; i < 100; i++) {
          c.send(new Message.Request(i, "get_chain_tip", null));
          assertNull(c.expect(Message.Response.class).error());
        }
        c.send(new Message.Request(100, "get_mempool_size", null));
        assertEquals(ErrorCode.NOT_CAPABLE, c.expect(Message.Response.class).error().code());
      }
    }
    // closing the manager flushed the log; 100 lines of ~150 bytes, rotated at 4 KiB, keeping 2
    // old files: the oldest lines are gone, the newest (the denial) is last
    List<String> lines = new java.util.ArrayList<>();
    for (String name : List.of("audit.jsonl.2", "audit.jsonl.1", "audit.jsonl")) {
      Path p = log.resolveSibling(name);
      assertTrue(Files.exists(p), name);
      assertTrue(Files.size(p) <= 4096, name + " is " + Files.size(p) + " bytes");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
      lines.addAll(Files.readAllLines(p));
    }
    assertFalse(Files.exists(log.resolveSibling("audit.jsonl.3")));
    String denied = lines.stream().filter(l -> l.contains("\"denied\"")).findFirst().orElseThrow();
    com.fasterxml.jackson.databind.JsonNode d =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(denied);
    assertEquals("auditee", d.get("module").asText());
    assertEquals("get_mempool_size", d.get("method").asText());
    assertEquals("read_mempool", d.get("capability").asText());
    assertTrue(lines.stream().anyMatch(l -> l.contains("\"allowed\"")));
    assertTrue(lines.size() < 100, lines.size() + " lines kept");
    assertTrue(lines.get(lines.size() - 1).contains("get_mempool_size"));
  }

  @Test
  void builder_sandboxAndAnotherLauncher_refused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ModuleManager.builder()
                    .modulesDir(tmp)
                    .runtimeDir(tmp)
                    .admission(admissionFor(tmp))
                    .launcher(ModuleLauncher.plainProcesses())
                    .sandbox(org.blvm.sandbox.SandboxOptions.defaults())
                    .build());
    assertTrue(e.getMessage().contains("both a sandbox and another launcher"), e.getMessage());
  }

  private static org.blvm.policy.Admission admissionFor(Path dir) throws Exception {
    return org.blvm.policy.Admission.builder()
        .policy(org.blvm.policy.Policy.trusting(List.of(), 1))
        .stateDir(dir.resolve("st"))
        .build();
  }

  @Test
  void builder_invalidSettings_allReportedAtOnce() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModuleManager.builder().helloTimeout(Duration.ZERO).build());
    assertTrue(e.getMessage().contains("modulesDir"), e.getMessage());
    assertTrue(e.getMessage().contains("runtimeDir"), e.getMessage());
    assertTrue(e.getMessage().contains("helloTimeout"), e.getMessage());
  }
}
