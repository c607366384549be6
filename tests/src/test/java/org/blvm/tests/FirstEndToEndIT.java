package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first end-to-end loop: the loader starts two real module processes built with the SDK; both
 * subscribe to NewBlock; for each block they call get_block and report back with a custom event.
 */
class FirstEndToEndIT {
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
          + " \"register_module_api\"";

  @TempDir Path tmp;

  private final Map<String, List<JsonNode>> reports = new ConcurrentHashMap<>();

  private ModuleManager manager(SimulatedChain chain) {
    // Plain processes on purpose: these tests are about the protocol loop; SandboxedModulesIT runs
    // the same module sandboxed.
    return ModuleManager.builder()
        .launcher(ModuleLauncher.plainProcesses())
        .admission(ModuleFixture.admission(tmp.resolve("state")))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(chain)
        .stopGrace(Duration.ofSeconds(2))
        .onModuleEvent(
            (source, type, payload) -> {
              if (type.equals("test.block_seen")) {
                reports.computeIfAbsent(source, k -> new CopyOnWriteArrayList<>()).add(payload);
              }
            })
        .build();
  }

  @Test
  void twoModules_everyBlockReachesBothInOrder_andStoppingOneLeavesTheOtherRunning()
      throws Exception {
    ModuleFixture.install(tmp.resolve("modules"), "reporter-a", CAPS, "");
    ModuleFixture.install(tmp.resolve("modules"), "reporter-b", CAPS, "");
    SimulatedChain chain = new SimulatedChain();
    List<EventPayloads.NewBlock> mined = new ArrayList<>();
    OptionalLong pidA;
    try (ModuleManager modules = manager(chain)) {
      modules.start();
      modules.awaitAllStarted(Duration.ofSeconds(60));
      pidA = modules.status("reporter-a").orElseThrow().pid();

      for (int i = 0; i < 50; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(i % 5);
        mined.add(b);
        assertEquals(2, modules.publish(EventType.NewBlock, b));
      }
      await(() -> count("reporter-a") == 50 && count("reporter-b") == 50, "50 reports each");
      for (String m : List.of("reporter-a", "reporter-b")) {
        assertReportsMatch(m, chain, mined, 1);
      }

      ModuleStatus stopped = modules.stopModule("reporter-a");
      assertEquals(ModuleState.STOPPED, stopped.state());
      assertFalse(ProcessHandle.of(pidA.getAsLong()).map(ProcessHandle::isAlive).orElse(false));

      for (int i = 0; i < 5; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(1);
        mined.add(b);
        assertEquals(1, modules.publish(EventType.NewBlock, b));
      }
      await(() -> count("reporter-b") == 55, "55 reports from reporter-b");
      assertReportsMatch("reporter-b", chain, mined, 1);
      assertEquals(50, count("reporter-a"));
      assertEquals(ModuleState.STARTED, modules.status("reporter-b").orElseThrow().state());
    }
  }

  @Test
  void moduleIgnoringStop_isKilledAfterGrace_andNoProcessOutlivesTheManager() throws Exception {
    ModuleFixture.install(tmp.resolve("modules"), "stubborn", CAPS, "ignore_stop = true");
    ModuleFixture.install(tmp.resolve("modules"), "polite", CAPS, "");
    SimulatedChain chain = new SimulatedChain();
    List<Long> pids = new ArrayList<>();
    try (ModuleManager modules = manager(chain)) {
      modules.start();
      modules.awaitAllStarted(Duration.ofSeconds(60));
      for (ModuleStatus s : modules.statuses()) {
        pids.add(s.pid().orElseThrow());
      }
      long t0 = System.nanoTime();
      ModuleStatus s = modules.stopModule("stubborn");
      long tookMs = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(ModuleState.STOPPED, s.state());
      assertTrue(tookMs >= 2000, "stopped after " + tookMs + " ms, before the 2 s grace ended");
      EventPayloads.NewBlock b = chain.mineBlock(0);
      modules.publish(EventType.NewBlock, b);
      await(() -> count("polite") == 1, "polite still receives blocks");
    }
    for (long pid : pids) {
      assertFalse(
          ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          "pid " + pid + " outlived the manager");
    }
  }

  @Test
  void crashingModule_markedFailed_othersUnaffected() throws Exception {
    ModuleFixture.install(tmp.resolve("modules"), "crasher", CAPS, "exit_after_blocks = 2");
    ModuleFixture.install(tmp.resolve("modules"), "steady", CAPS, "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager modules = manager(chain)) {
      modules.start();
      modules.awaitAllStarted(Duration.ofSeconds(60));
      for (int i = 0; i < 5; i++) {
        modules.publish(EventType.NewBlock, chain.mineBlock(0));
      }
      assertTrue(modules.awaitState("crasher", ModuleState.FAILED, Duration.ofSeconds(20)));
      assertTrue(
          modules.status("crasher").orElseThrow().detail().contains("status 3"),
          modules.status("crasher").orElseThrow().detail());
      await(() -> count("steady") == 5, "steady receives all 5 blocks");
    }
    // The module's stderr went to its output log, not to the node's terminal.
    SandboxFixture.awaitLog(
        tmp.resolve("run").resolve("crasher.out.log"), "exit_after_blocks=2 reached");
  }

  @Test
  void moduleCallsAnotherThatCallsBack_answeredWithAuthenticatedCallersAndNoDeadlock()
      throws Exception {
    ModuleFixture.install(tmp.resolve("modules"), "caller", CAPS, "call_on_block = \"callee\"");
    ModuleFixture.install(tmp.resolve("modules"), "callee", CAPS, "");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager modules = manager(chain)) {
      modules.start();
      modules.awaitAllStarted(Duration.ofSeconds(60));
      for (int i = 0; i < 10; i++) {
        modules.publish(EventType.NewBlock, chain.mineBlock(0));
      }
      await(() -> count("caller") == 10, "10 reports with a call each");
      for (int i = 0; i < 10; i++) {
        JsonNode call = reports.get("caller").get(i).get("call");
        // callee.call_back ran with caller = "caller", then called caller.echo, whose answer
        // names its own authenticated caller: "callee".
        assertEquals("callee", call.get("caller").asText(), call.toString());
        assertEquals(i + 1, call.get("params").get("height").asLong());
      }
    }
  }

  private void assertReportsMatch(
      String module, SimulatedChain chain, List<EventPayloads.NewBlock> mined, long firstSeq) {
    List<JsonNode> got = reports.get(module);
    for (int i = 0; i < got.size(); i++) {
      JsonNode r = got.get(i);
      EventPayloads.NewBlock b = mined.get(i);
      Api.Block block = chain.getBlock(b.hash()).orElseThrow();
      assertEquals(module, r.get("module_id").asText());
      assertEquals(b.height(), r.get("height").asLong(), module + " report " + i);
      assertEquals(b.hash(), r.get("hash").asText());
      assertEquals(block.txids().size(), r.get("tx_count").asInt(), "tx count via get_block");
      assertEquals(firstSeq + i, r.get("seq").asLong(), module + " event sequence");
    }
  }

  private int count(String module) {
    return reports.getOrDefault(module, List.of()).size();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Poll.until(condition, Duration.ofSeconds(30), what);
  }
}
