package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime rules against a real, sandboxed module process built with the SDK, under a real
 * operator policy: it tries to publish a core event and a topic it did not declare, to call a
 * module the operator did not allow (and cannot see), and to flood the node with requests. The node
 * must refuse each, let the allowed call through with the authenticated caller, and keep serving it
 * afterwards.
 */
class RuntimeRulesIT {
  private static final String POLICY =
      "[defaults]\n"
          + "capabilities = [\"read_blockchain\", \"subscribe_events\", \"publish_events\","
          + " \"call_module\", \"register_module_api\"]\n"
          + "restart = { mode = \"never\" }\n"
          + "[modules.prober]\n"
          + "callable_modules = [\"friend\"]\n"
          + "rate_limit = { requests_per_second = 50, burst = 100 }\n";

  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
          + " \"register_module_api\"";

  @TempDir Path tmp;

  @Test
  void sandboxedModule_triesWhatThePolicyForbids_everyAttemptRefused() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "friend", CAPS, "");
    ModuleFixture.install(modules, "stranger", CAPS, "");
    CompletableFuture<JsonNode> report = new CompletableFuture<>();
    try (ModuleManager m =
        ModuleManager.builder()
            .admission(ModuleFixture.admission(tmp.resolve("state"), POLICY))
            .modulesDir(modules)
            .runtimeDir(tmp.resolve("run"))
            .backend(new SimulatedChain())
            .stopGrace(Duration.ofSeconds(2))
            .sandbox(o)
            .onModuleEvent(
                (source, type, payload) -> {
                  if (type.equals("test.probe") && source.equals("prober")) {
                    report.complete(payload);
                  }
                })
            .build()) {
      m.start();
      for (String id : new String[] {"friend", "stranger"}) {
        assertTrue(
            m.awaitState(id, ModuleState.STARTED, Duration.ofSeconds(60)), "" + m.statuses());
      }
      // the prober starts once its targets serve echo
      ModuleFixture.install(
          modules,
          "prober",
          CAPS,
          "probe = { call_targets = [\"friend\", \"stranger\"], flood = 400 }");
      m.startModule(modules.resolve("prober"));

      JsonNode r = report.get(90, TimeUnit.SECONDS);
      JsonNode results = r.get("results");
      assertNotNull(results, r.toString());
      assertEquals("NOT_CAPABLE", results.get("publish_core").asText(), r.toString());
      assertEquals("NOT_CAPABLE", results.get("publish_undeclared").asText(), r.toString());
      assertEquals("ok", results.get("call_friend").asText(), "allowed pair: " + r);
      assertEquals("NOT_FOUND", results.get("call_stranger").asText(), "hidden target: " + r);
      long ok = r.get("flood_ok").asLong();
      long limited = r.get("flood_rate_limited").asLong();
      assertEquals(400, ok + limited, r.toString());
      assertTrue(limited > 0, "a flood of 400 against a burst of 100 was never limited: " + r);
      assertTrue(ok >= 90, "the burst was not served: " + r);
      // (the report itself may have waited for a token: the node counted at least the flood's)
      assertTrue(m.rateLimitedCalls("prober") >= limited, "" + m.rateLimitedCalls("prober"));
      assertEquals(3, m.deniedCalls("prober"), "two publishes and the disallowed call");
      // the prober is still connected and served
      assertEquals(ModuleState.STARTED, m.status("prober").orElseThrow().state());
    }
    // closing the manager flushed the audit log
    String audit = Files.readString(tmp.resolve("run/audit.jsonl"));
    assertTrue(audit.contains("\"rate_limited\""), audit);
    assertTrue(audit.contains("call_module:stranger.echo"), audit);
  }
}
