package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modules the policy starts on demand, with real module processes: launched by the first call or
 * event they need, stopped again when idle, failing a waiting call UNAVAILABLE when they cannot
 * start.
 */
class OnDemandIT {
  static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\","
          + " \"call_module\", \"discover_modules\"";

  static final String POLICY =
      "[defaults]\ncapabilities = ["
          + CAPS
          + "]\ncallable_modules = [\"*\"]\n"
          + "[modules.b]\nstart = \"on_demand\"\nidle_seconds = 1\n"
          + "[modules.watcher]\nstart = \"on_demand\"\nidle_seconds = 600\n"
          + "rate_limit = { requests_per_second = 0 }\n"
          + "[modules.broken]\nstart = \"on_demand\"\n"
          + "[modules.svc]\nstart = \"on_demand\"\nidle_seconds = 600\n"
          + "[modules.tampered]\nstart = \"on_demand\"\n";

  /** Calls b's echo on every block (logged as "call 0 ok …" or "call 0 error CODE …"). */
  static String callsOn(String target) {
    return "calls_on_block = [{ target = \"" + target + "\", method = \"echo\", params = {} }]";
  }

  @TempDir Path tmp;

  private final List<String> logs = new CopyOnWriteArrayList<>();
  private final List<Long> watched = new CopyOnWriteArrayList<>();
  private final List<Long> callerBlocks = new CopyOnWriteArrayList<>();

  private ModuleManager manager(SimulatedChain chain) {
    return ModuleManager.builder()
        .launcher(ModuleLauncher.plainProcesses())
        .admission(ModuleFixture.admission(tmp.resolve("state"), POLICY))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(chain)
        .stopGrace(Duration.ofSeconds(2))
        .callTimeout(Duration.ofSeconds(30))
        .onModuleLog((id, level, message) -> logs.add(id + ": " + message))
        .onModuleEvent(
            (source, type, payload) -> {
              if (type.equals("test.block_seen")) {
                (source.equals("watcher") ? watched : callerBlocks)
                    .add(payload.get("height").asLong());
              }
            })
        .build();
  }

  private long count(String prefix) {
    return logs.stream().filter(l -> l.startsWith(prefix)).count();
  }

  private static ModuleState state(ModuleManager m, String id) {
    return m.status(id).map(ModuleStatus::state).orElse(null);
  }

  private void install(String name, String manifest, String config) throws Exception {
    ModuleFixture.installWith(
        tmp.resolve("modules"), name, "1.0.0", CAPS, manifest, config, ModuleFixture.key());
  }

  @Test
  void aRequiredDependencyOnAnOnDemandModule_failsTheDependentNamingWhy_theOnDemandOneStaysIdle()
      throws Exception {
    install("b", "", "");
    install("c", "[dependencies]\nb = \">=1.0.0\"\n", "");
    try (ModuleManager m = manager(new SimulatedChain())) {
      m.start();
      assertEquals(ModuleState.IDLE, state(m, "b"), m.statuses().toString());
      assertEquals(ModuleState.FAILED, state(m, "c"), m.statuses().toString());
      assertEquals(
          "dependency b (>=1.0.0) starts on demand, and a required dependency must be started"
              + " eagerly",
          m.status("c").orElseThrow().detail());
    }
  }

  @Test
  void aCallStartsIt_idleSecondsStopIt_andTheNextCallStartsItAgain() throws Exception {
    install("a", "", callsOn("b"));
    install("b", "", "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      assertEquals(ModuleState.IDLE, state(m, "b"), m.statuses().toString());
      m.awaitState("a", ModuleState.STARTED, Duration.ofSeconds(60));
      assertEquals(ModuleState.IDLE, state(m, "b"), "nothing needed b yet");

      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(() -> count("a: call 0 ") >= 1, Duration.ofSeconds(60), "a's first call");
      assertEquals(1, count("a: call 0 ok {\"caller\":\"a\""), logs.toString());
      long firstPid = m.status("b").orElseThrow().pid().orElse(-1);

      // one second without calls or events: stopped, idle again
      Poll.until(() -> state(m, "b") == ModuleState.IDLE, Duration.ofSeconds(30), "b idle again");
      assertTrue(
          m.status("b").orElseThrow().detail().contains("idle for 1 s"), m.statuses().toString());

      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(() -> count("a: call 0 ") >= 2, Duration.ofSeconds(60), "a's second call");
      assertEquals(2, count("a: call 0 ok {\"caller\":\"a\""), logs.toString());
      Poll.until(
          () -> m.status("b").orElseThrow().pid().isPresent(),
          Duration.ofSeconds(10),
          "b's second run has a pid");
      assertTrue(m.status("b").orElseThrow().pid().orElse(-1) != firstPid, "a second process of b");
    }
  }

  /** The last {@code discover ...} line module a logged, once there are {@code n}. */
  private String discovered(int n) throws InterruptedException {
    Poll.until(() -> count("a: discover") >= n, Duration.ofSeconds(60), "a's discovery " + n);
    return logs.stream().filter(l -> l.startsWith("a: discover")).skip(n - 1).findFirst().get();
  }

  @Test
  void discoveryListsAnIdleModule_anOperatorStartsIt_andItsStopReturnsItToIdle() throws Exception {
    install("a", "", "discover_on_block = true");
    install("svc", "", "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      m.awaitState("a", ModuleState.STARTED, Duration.ofSeconds(60));
      // IDLE, with the methods its manifest provides: a call to one would start it
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      String first = discovered(1);
      assertTrue(first.endsWith(" svc:IDLE:call_back,echo"), first);
      assertTrue(first.startsWith("a: discover a:STARTED:"), first);
      assertEquals(ModuleState.IDLE, state(m, "svc"), "discovery does not start it");

      // the operator's start launches it at once, with no call or event
      m.startModule("svc");
      assertTrue(m.awaitState("svc", ModuleState.STARTED, Duration.ofSeconds(60)));
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      String second = discovered(2);
      assertTrue(second.contains(" svc:STARTED:"), second);

      // the operator's stop returns it to IDLE (not STOPPED): the next call or event starts it
      m.stopModule("svc");
      Poll.until(
          () -> state(m, "svc") == ModuleState.IDLE, Duration.ofSeconds(30), "svc idle again");
      ModuleStatus idle = m.status("svc").orElseThrow();
      assertTrue(idle.detail().startsWith("starts on demand; last run: "), idle.toString());
      assertTrue(idle.pid().isEmpty(), idle.toString());
      assertEquals(0, m.restarts("svc"));
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      String third = discovered(3);
      assertTrue(third.endsWith(" svc:IDLE:call_back,echo"), third);
    }
  }

  @Test
  void aBurstOfEventsDuringTheStart_arrivesCompleteAndInOrder() throws Exception {
    install("watcher", "subscribes = [\"NewBlock\"]", "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      assertEquals(ModuleState.IDLE, state(m, "watcher"));
      List<Long> heights = new ArrayList<>();
      // a burst first: the first block starts the watcher, the others queue while it starts
      for (int i = 0; i < 100; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(0);
        heights.add(b.height());
        m.publish(EventType.NewBlock, b);
      }
      // then a block every 10 ms across its connect, subscription and ready, and after (at most
      // 800 before it reports one, so that the start queue never overflows)
      for (int i = 0; i < 800 && watched.isEmpty(); i++) {
        EventPayloads.NewBlock b = chain.mineBlock(0);
        heights.add(b.height());
        m.publish(EventType.NewBlock, b);
        Thread.sleep(10); // paces the publisher; the test waits by polling below
      }
      for (int i = 0; i < 100; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(0);
        heights.add(b.height());
        m.publish(EventType.NewBlock, b);
        Thread.sleep(10);
      }
      Poll.until(
          () -> watched.size() >= heights.size(),
          Duration.ofSeconds(120),
          "the watcher reported every block");
      assertEquals(heights, watched, "every block, in order");
      assertEquals(ModuleState.STARTED, state(m, "watcher"));
    }
  }

  @Test
  void aBurstBeyondTheStartQueue_dropsTheOldest_andTheModuleIsToldHowMany() throws Exception {
    install("watcher", "subscribes = [\"NewBlock\"]", "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      List<Long> heights = new ArrayList<>();
      for (int i = 0; i < 1030; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(0);
        heights.add(b.height());
        m.publish(EventType.NewBlock, b);
      }
      long last = heights.get(heights.size() - 1);
      Poll.until(
          () -> watched.contains(last), Duration.ofSeconds(120), "the watcher reported the last");
      // the queue also held the loader's own events of the start (ModuleLoaded, state changes):
      // the newest blocks arrive, in order, without a gap, and the oldest are counted as dropped
      int n = watched.size();
      assertTrue(n >= 1000 && n <= 1024, "blocks reported: " + n);
      assertEquals(heights.subList(heights.size() - n, heights.size()), watched, "in order");
      assertTrue(
          m.droppedEvents("watcher") >= 1030 - 1024, "dropped: " + m.droppedEvents("watcher"));
      // and the module was told how many: its SDK logs each EventsDropped marker it receives
      Poll.until(
          () -> toldDropped() >= 1030 - 1024, Duration.ofSeconds(30), "the watcher was told");
      assertEquals(m.droppedEvents("watcher"), toldDropped(), logs.toString());
    }
  }

  /** The events the watcher's SDK reported as dropped by the node (one log line per marker). */
  private long toldDropped() {
    String prefix = "watcher: the node dropped ";
    return logs.stream()
        .filter(l -> l.startsWith(prefix))
        .mapToLong(l -> Long.parseLong(l.substring(prefix.length()).split(" ")[0]))
        .sum();
  }

  @Test
  void aStartThatFails_failsTheWaitingCallUnavailable_andABadSignatureFailsAtNodeStart()
      throws Exception {
    install("a", "", callsOn("broken"));
    install("watcher", "subscribes = [\"NewBlock\"]", "");
    install("broken", "", "");
    // signed and complete, but its jar is not one: the JVM exits at once
    Files.writeString(tmp.resolve("modules/broken/module.jar"), "not a jar\n");
    ModuleFixture.sign(tmp.resolve("modules/broken"));
    install("tampered", "", "");
    Files.writeString(
        tmp.resolve("modules/tampered/module.toml"),
        "# changed after signing\n",
        StandardOpenOption.APPEND);
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(chain)) {
      m.start();
      ModuleStatus tampered = m.status("tampered").orElseThrow();
      assertEquals(ModuleState.FAILED, tampered.state(), "refused at node start: " + tampered);
      assertTrue(tampered.detail().contains("tampered"), tampered.toString());
      assertEquals(ModuleState.IDLE, state(m, "broken"));
      m.awaitState("a", ModuleState.STARTED, Duration.ofSeconds(60));

      long before = System.nanoTime();
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(() -> count("a: call 0 ") >= 1, Duration.ofSeconds(60), "a's call to broken");
      String line = logs.stream().filter(l -> l.startsWith("a: call 0 ")).findFirst().get();
      assertTrue(
          line.startsWith("a: call 0 error UNAVAILABLE module broken could not start"), line);
      assertTrue(
          System.nanoTime() - before < Duration.ofSeconds(30).toNanos(), "within its deadline");
      Poll.until(
          () -> state(m, "broken") == ModuleState.IDLE, Duration.ofSeconds(30), "broken idle");

      // the node and the other modules are unaffected: both get the next block
      m.publish(EventType.NewBlock, chain.mineBlock(0));
      Poll.until(
          () -> callerBlocks.size() >= 2 && watched.size() >= 2,
          Duration.ofSeconds(60),
          "a and the watcher report both blocks");
      assertEquals(ModuleState.STARTED, state(m, "a"));
      assertEquals(0, m.restarts("broken"), "an on-demand module is not restarted by itself");
    }
  }
}
