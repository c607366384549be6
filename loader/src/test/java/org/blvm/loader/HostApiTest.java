package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.policy.Admission;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a host gets beyond start and publish: the state-change listener, starting and unloading by
 * name, policy reload, status snapshots, and the builder's check of the admission.
 */
class HostApiTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String ALPHA_CAPS =
      "\"read_blockchain\", \"read_mempool\", \"subscribe_events\"";
  private static final String BETA_CAPS = "\"subscribe_events\", \"discover_modules\"";
  private static final String BOTH = ALPHA_CAPS + ", \"discover_modules\"";

  @TempDir Path tmp;

  /** A second signing key: beta is signed with it, alpha with the fixture's. */
  private final MinisignSecretKey other = MinisignSecretKey.generate(new SecureRandom());

  private final List<ModuleStateChange> changes = new CopyOnWriteArrayList<>();
  private LoaderFixture fx;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  private String otherKey() {
    return "[[keys]]\nname = \"other\"\npublic_key = \"" + other.publicKey().encoded() + "\"\n";
  }

  private String defaults(String caps) {
    return "[defaults]\ncapabilities = [" + caps + "]\n";
  }

  /** alpha (fixture key), beta (other key), both admitted under {@code policy}; listener on. */
  private void start(String policy) throws Exception {
    fx =
        new LoaderFixture(tmp)
            .module("alpha", ALPHA_CAPS, "")
            .module("beta", BETA_CAPS, "")
            .policy(policy);
    Path beta = tmp.resolve("modules").resolve("beta");
    java.nio.file.Files.delete(beta.resolve("module.toml.minisig"));
    ModuleSigner.sign(beta, other, null, true);
    fx.start(b -> b.helloTimeout(Duration.ofSeconds(5)));
    fx.manager.addStateListener(changes::add);
  }

  private Policy parse(String toml) throws Exception {
    String text =
        toml
            + "\n[[keys]]\nname = \"fixture\"\npublic_key = \""
            + fx.key.publicKey().encoded()
            + "\"\n";
    return Policy.parse("reloaded.toml", text.getBytes(StandardCharsets.UTF_8));
  }

  /** Connects {@code module}, subscribes to {@code events} and says ready. */
  private RawClient run(String module, String... events) throws Exception {
    RawClient c = fx.handshake(module);
    if (events.length > 0) {
      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of(events)), c));
      assertNull(c.expect(Message.Response.class).error());
    }
    c.send(new Message.Request(2, NodeMethod.READY, null));
    assertNull(c.expect(Message.Response.class).error());
    assertTrue(fx.manager.awaitState(module, ModuleState.STARTED, WAIT));
    return c;
  }

  @Test
  void stateListener_toldOfEveryChangeInOrder_withTheDetail() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha", "NewBlock")) {
      fx.manager.stopModule("alpha");
    }
    List<String> alpha =
        changes.stream()
            .filter(c -> c.module().equals("alpha"))
            .map(c -> c.from() + ">" + c.to())
            .toList();
    assertEquals(
        List.of(
            "LOADED>INITIALIZED",
            "INITIALIZED>SUBSCRIBED",
            "SUBSCRIBED>STARTED",
            "STARTED>STOPPING",
            "STOPPING>STOPPED"),
        alpha);
    ModuleStateChange last = changes.get(changes.size() - 1);
    assertTrue(last.detail().startsWith("process exited with status"), last.detail());
    assertNotNull(last.time());
  }

  @Test
  void stateListener_moduleRefusedAtAdmission_toldUnloadedToFailed() throws Exception {
    start(otherKey() + defaults(BOTH));
    java.nio.file.Files.writeString(
        tmp.resolve("modules").resolve("alpha").resolve("mod"), "swapped\n");
    fx.manager.unloadModule("alpha"); // a start of a known module would run its pinned copy
    ModuleStatus s = fx.manager.startModule("alpha");
    assertEquals(ModuleState.FAILED, s.state());
    ModuleStateChange last = changes.get(changes.size() - 1);
    assertEquals(ModuleState.UNLOADED, last.from());
    assertEquals(ModuleState.FAILED, last.to());
    assertTrue(last.detail().contains("pins"), last.detail());
  }

  @Test
  void unloadModule_running_stoppedForgottenAnnounced_andStartableAgainByName() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient b = run("beta", "ModuleUnloaded");
        RawClient a = run("alpha")) {
      fx.manager.unloadModule("alpha");
      assertTrue(fx.manager.status("alpha").isEmpty(), "forgotten");
      assertTrue(fx.manager.snapshot("alpha").isEmpty());
      assertTrue(a.closedByNode(), "its connection was closed");
      Message.Event e = b.expect(Message.Event.class);
      assertEquals("ModuleUnloaded", e.type());
      assertEquals("alpha", e.payload().get("module_id").asText());
      assertEquals(ModuleState.UNLOADED, changes.get(changes.size() - 1).to());
      assertEquals(ModuleState.STARTED, fx.manager.status("beta").orElseThrow().state());
    }
    assertEquals(ModuleState.LOADED, fx.manager.startModule("alpha").state());
    try (RawClient again = run("alpha")) {
      assertEquals(ModuleState.STARTED, fx.manager.status("alpha").orElseThrow().state());
    }
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> fx.manager.unloadModule("nope"));
    assertTrue(unknown.getMessage().contains("nope"));
  }

  @Test
  void unloadModule_refusedAtAdmission_forgotten() throws Exception {
    start(defaults(BOTH)); // the other key is not trusted: beta is refused
    assertEquals(ModuleState.FAILED, fx.manager.status("beta").orElseThrow().state());
    fx.manager.unloadModule("beta");
    assertTrue(fx.manager.status("beta").isEmpty());
  }

  @Test
  void startModule_byName_runningRefused_stoppedStartedAgain_unknownRefused() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha")) {
      IllegalStateException running =
          assertThrows(IllegalStateException.class, () -> fx.manager.startModule("alpha"));
      assertTrue(running.getMessage().contains("STARTED"), running.getMessage());
      fx.manager.stopModule("alpha");
    }
    assertEquals(ModuleState.LOADED, fx.manager.startModule("alpha").state());
    try (RawClient a = run("alpha")) {
      assertEquals(0, fx.manager.restarts("alpha"), "an operator's start is no restart");
    }
    assertThrows(IllegalArgumentException.class, () -> fx.manager.startModule("ghost"));
    assertThrows(IllegalArgumentException.class, () -> fx.manager.startModule("../alpha"));
  }

  @Test
  void restartModule_running_stoppedThenLaunchedAgain() throws Exception {
    start(otherKey() + defaults(BOTH));
    long firstCalls;
    try (RawClient a = run("alpha")) {
      a.send(request(3, "get_chain_tip", null, a));
      assertNull(a.expect(Message.Response.class).error());
      firstCalls = fx.manager.snapshot("alpha").orElseThrow().calls();
      assertEquals(ModuleState.LOADED, fx.manager.restartModule("alpha").state());
      assertTrue(a.closedByNode());
    }
    try (RawClient a = run("alpha")) {
      assertEquals(2, firstCalls, "ready, get_chain_tip");
      assertEquals(
          3,
          fx.manager.snapshot("alpha").orElseThrow().calls(),
          "counted over the module's launches: 2 before, ready after");
      ModuleSnapshot.Exit exit = fx.manager.snapshot("alpha").orElseThrow().lastExit();
      assertEquals(ModuleState.STOPPED, exit.state());
    }
  }

  @Test
  void reloadPolicy_revokedKey_stopsExactlyTheModulesItSigned() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha");
        RawClient b = run("beta")) {
      PolicyReload r =
          fx.manager.reloadPolicy(
              parse(
                  "revoked = [\""
                      + other.keyId()
                      + "\"]\nthreshold = 1\n"
                      + otherKey()
                      + defaults(BOTH)));
      assertEquals(1, r.stopped().size());
      PolicyReload.Stopped s = r.stopped().get(0);
      assertEquals("beta", s.module());
      assertEquals(ModuleState.STOPPED, s.state());
      assertTrue(s.reason().contains("revoked"), s.reason());
      ModuleStatus beta = fx.manager.status("beta").orElseThrow();
      assertEquals(ModuleState.STOPPED, beta.state());
      assertTrue(beta.detail().startsWith("stopped by a policy reload"), beta.detail());
      assertTrue(beta.detail().contains("process exited"), beta.detail());
      assertEquals(ModuleState.STARTED, fx.manager.status("alpha").orElseThrow().state());
      assertTrue(r.narrowed().isEmpty());
      // the new policy also decides later starts: beta stays refused
      assertEquals(ModuleState.FAILED, fx.manager.startModule("beta").state());
      assertTrue(fx.manager.policy().isRevoked(other.keyId()));
    }
  }

  @Test
  void reloadPolicy_capabilityRemovedUnderDrop_nextCallRefusedAndSubscriptionEnds()
      throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha", "NewBlock", "MempoolTransactionAdded")) {
      a.send(request(3, "get_block", new Api.HashParams(H1), a));
      assertNull(a.expect(Message.Response.class).error());
      PolicyReload r =
          fx.manager.reloadPolicy(
              parse(
                  otherKey()
                      + defaults("\"read_mempool\", \"subscribe_events\", \"discover_modules\"")
                      + "on_disallowed_capability = \"drop\"\n"));
      assertEquals(
          List.of(new PolicyReload.Narrowed("alpha", Set.of(Capability.READ_BLOCKCHAIN))),
          r.narrowed());
      assertTrue(r.stopped().isEmpty());
      a.send(request(4, "get_block", new Api.HashParams(H1), a));
      Message.Response denied = a.expect(Message.Response.class);
      assertEquals(ErrorCode.NOT_CAPABLE, denied.error().code());
      // NewBlock (read_blockchain) no longer arrives; mempool events still do
      fx.manager.publish(EventType.NewBlock, new EventPayloads.NewBlock(H1, 1, H1, 1L, 1));
      fx.manager.publish(
          EventType.MempoolTransactionAdded,
          new EventPayloads.MempoolTransactionAdded(H1, 100, 200, 2.0));
      Message.Event e = a.expect(Message.Event.class);
      assertEquals("MempoolTransactionAdded", e.type());
      ModuleSnapshot snap = fx.manager.snapshot("alpha").orElseThrow();
      assertFalse(snap.granted().contains(Capability.READ_BLOCKCHAIN));
      assertEquals(List.of("MempoolTransactionAdded"), snap.subscriptions());
    }
  }

  @Test
  void reloadPolicy_capabilityRemovedUnderReject_moduleStopped() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha");
        RawClient b = run("beta")) {
      PolicyReload r = fx.manager.reloadPolicy(parse(otherKey() + defaults(BETA_CAPS)));
      assertEquals(
          List.of("alpha"), r.stopped().stream().map(PolicyReload.Stopped::module).toList());
      assertTrue(r.stopped().get(0).reason().contains("on_disallowed_capability"));
      assertEquals(ModuleState.STARTED, fx.manager.status("beta").orElseThrow().state());
    }
  }

  @Test
  void snapshot_showsSignersGrantsPolicyCountersAndTimes() throws Exception {
    start(otherKey() + defaults(BOTH));
    try (RawClient a = run("alpha", "NewBlock")) {
      a.send(request(3, "get_network_stats", null, a)); // read_network is not granted
      assertEquals(ErrorCode.NOT_CAPABLE, a.expect(Message.Response.class).error().code());
      ModuleSnapshot s = fx.manager.snapshot("alpha").orElseThrow();
      assertEquals("alpha", s.name());
      assertEquals("1.0.0", s.version());
      assertEquals(ModuleState.STARTED, s.state());
      assertEquals(List.of(fx.key.keyId().toString()), s.signers());
      assertFalse(s.unsigned());
      assertEquals(
          Set.of(Capability.READ_BLOCKCHAIN, Capability.READ_MEMPOOL, Capability.SUBSCRIBE_EVENTS),
          s.granted());
      assertEquals(3, s.calls());
      assertEquals(1, s.denied());
      assertEquals(List.of("NewBlock"), s.subscriptions());
      assertNotNull(s.launchedAt());
      assertFalse(s.since().isBefore(s.launchedAt()));
      assertNotNull(s.policy());
      assertEquals("default", s.confinement().profile());
      assertEquals(0, s.restarts());
      assertNull(s.lastExit());
      assertEquals(2, fx.manager.snapshots().size());
    }
  }

  @Test
  void build_admissionWithoutStateDirectory_refusedAtBuildNamingTheFix() throws Exception {
    MinisignSecretKey k = MinisignSecretKey.generate(new SecureRandom());
    Admission noState =
        Admission.builder().policy(Policy.trusting(List.of(k.publicKey()), 1)).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ModuleManager.builder()
                    .admission(noState)
                    .modulesDir(tmp)
                    .runtimeDir(tmp.resolve("run"))
                    .launcher(new InProcessLauncher())
                    .build());
    assertTrue(e.getMessage().contains("Admission.builder().stateDir(DIR)"), e.getMessage());
  }
}
