package org.blvm.node.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminRequest;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.policy.Admission;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.Policy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands' argument checks, their errors for modules in the wrong state or unknown, the policy
 * and config reload answers, and the log and audit tails, run against a real manager (running
 * modules are driven through the real processes in tests/NodeControlIT).
 */
class AdminCommandsTest {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  @TempDir Path tmp;

  private ModuleManager modules;
  private Path policyFile;
  private Path config;
  private Path audit;
  private final MinisignSecretKey key = MinisignSecretKey.generate(new SecureRandom());

  @BeforeEach
  void start() throws Exception {
    Path bad = Files.createDirectories(tmp.resolve("modules").resolve("bad"));
    Files.writeString(
        bad.resolve("module.toml"),
        "name = \"bad\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"mod\"\n");
    Files.writeString(bad.resolve("mod"), "unsigned\n");
    policyFile = tmp.resolve("policy.toml");
    Files.writeString(policyFile, validPolicy());
    config = tmp.resolve("node.toml");
    Files.writeString(config, "[network]\nport = 8333\n");
    audit = tmp.resolve("state").resolve("audit.jsonl");
    modules =
        ModuleManager.builder()
            .admission(
                Admission.builder()
                    .policy(Policy.read(policyFile))
                    .stateDir(tmp.resolve("state"))
                    .build())
            .modulesDir(tmp.resolve("modules"))
            .runtimeDir(tmp.resolve("run"))
            .auditLog(audit, 1 << 20, 2)
            .nodeConfig(config)
            .launcher(ModuleLauncher.plainProcesses())
            .build();
    modules.start();
  }

  @AfterEach
  void stop() {
    modules.close();
  }

  private String validPolicy() {
    return "[[keys]]\nname = \"k\"\npublic_key = \"" + key.publicKey().encoded() + "\"\n";
  }

  /** A client that records events; at its n-th wait (from 0) {@code poll} says whether it left. */
  private static AdminCall.Stream client(List<JsonNode> events, IntPredicate poll) {
    return new AdminCall.Stream() {
      int polls;

      @Override
      public boolean emit(long id, JsonNode event) {
        events.add(event);
        return true;
      }

      @Override
      public boolean awaitCancel(long millis) {
        return poll.test(polls++);
      }
    };
  }

  /** Runs {@code command} with {@code args}; events go to {@code events}. */
  private JsonNode run(AdminCommand command, ObjectNode args, List<JsonNode> events, int polls)
      throws Exception {
    return command.run(
        new AdminCall(new AdminRequest(1, command.name(), args), client(events, n -> n >= polls)));
  }

  private JsonNode run(AdminCommand command, ObjectNode args) throws Exception {
    return run(command, args, new ArrayList<>(), 0);
  }

  private AdminException fails(AdminCommand command, ObjectNode args) {
    return assertThrows(AdminException.class, () -> run(command, args));
  }

  private static ObjectNode module(String name) {
    return JSON.objectNode().put("module", name);
  }

  @Test
  void list_andStatus_showTheRefusedModuleWithItsReason() throws Exception {
    JsonNode list = run(new ModulesListCommand(modules), JSON.objectNode());
    JsonNode bad = list.get("modules").get(0);
    assertEquals("bad", bad.get("name").asText());
    assertEquals("FAILED", bad.get("state").asText());
    assertTrue(bad.get("detail").asText().contains("no signature"), bad.toString());
    JsonNode status = run(new ModulesStatusCommand(modules, Clock.systemUTC()), module("bad"));
    assertTrue(status.get("policy").isNull());
    assertTrue(status.get("uptime_seconds").isNull());
    assertEquals(0, status.get("signers").size());
  }

  @Test
  void arguments_missingUnknownOrBad_badRequestNamingTheKey() {
    AdminCommand status = new ModulesStatusCommand(modules, Clock.systemUTC());
    AdminException missing = fails(status, JSON.objectNode());
    assertEquals(AdminErrorCode.BAD_REQUEST, missing.code());
    assertTrue(missing.reason().contains("missing argument \"module\""), missing.reason());
    AdminException extra = fails(status, module("bad").put("force", true));
    assertTrue(extra.reason().contains("unknown argument \"force\""), extra.reason());
    AdminException path = fails(new ModuleStartCommand(modules), module("../bad"));
    assertEquals(AdminErrorCode.BAD_REQUEST, path.code());
    AdminException type = fails(status, JSON.objectNode().put("module", 3));
    assertTrue(type.reason().contains("must be a string"), type.reason());
    AdminException lines = fails(new LogsCommand(modules), module("bad").put("lines", 1_000_000));
    assertTrue(lines.reason().contains("0 to 10000"), lines.reason());
  }

  @Test
  void operations_unknownModuleOrWrongState_clearErrors() {
    assertEquals(
        AdminErrorCode.UNKNOWN_MODULE, fails(new ModuleStopCommand(modules), module("x")).code());
    assertEquals(
        AdminErrorCode.UNKNOWN_MODULE, fails(new ModuleStartCommand(modules), module("x")).code());
    assertEquals(
        AdminErrorCode.UNKNOWN_MODULE,
        fails(new ModuleRestartCommand(modules), module("x")).code());
    assertEquals(
        AdminErrorCode.UNKNOWN_MODULE,
        fails(new ModuleUpgradeCommand(modules), module("x")).code());
    AdminException never = fails(new ModuleUpgradeCommand(modules), module("bad"));
    assertEquals(AdminErrorCode.WRONG_STATE, never.code());
    assertTrue(never.reason().contains("never admitted"), never.reason());
    assertEquals(
        AdminErrorCode.UNKNOWN_MODULE, fails(new ModuleUnloadCommand(modules), module("x")).code());
    AdminException stop = fails(new ModuleStopCommand(modules), module("bad"));
    assertEquals(AdminErrorCode.WRONG_STATE, stop.code());
    assertTrue(stop.reason().contains("FAILED"), stop.reason());
  }

  @Test
  void start_refusedModule_admittedAgainAndStillRefused() throws Exception {
    JsonNode r = run(new ModuleStartCommand(modules), module("bad"));
    assertEquals("FAILED", r.get("state").asText());
    assertTrue(r.get("detail").asText().contains("no signature"));
  }

  @Test
  void unload_refusedModule_forgotten() throws Exception {
    assertEquals(
        "UNLOADED", run(new ModuleUnloadCommand(modules), module("bad")).get("state").asText());
    assertEquals(0, run(new ModulesListCommand(modules), JSON.objectNode()).get("modules").size());
  }

  @Test
  void policyReload_invalidFile_refusedWithEveryProblem_policyInForceUnchanged() throws Exception {
    Policy before = modules.policy();
    Files.writeString(policyFile, "threshold = 0\nbogus = 1\n" + validPolicy());
    AdminException e = fails(new PolicyReloadCommand(modules, policyFile), JSON.objectNode());
    assertEquals(AdminErrorCode.INVALID_POLICY, e.code());
    JsonNode problems = e.details().get("problems");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.toString().contains("threshold"), problems.toString());
    assertTrue(problems.toString().contains("bogus"), problems.toString());
    assertSame(before, modules.policy());
    Files.delete(policyFile);
    AdminException gone = fails(new PolicyReloadCommand(modules, policyFile), JSON.objectNode());
    assertEquals(AdminErrorCode.INVALID_POLICY, gone.code());
    assertSame(before, modules.policy());
  }

  @Test
  void policyReload_validFile_appliedAndReported() throws Exception {
    Files.writeString(
        policyFile, validPolicy() + "[defaults]\ncapabilities = [\"read_chain_state\"]\n");
    JsonNode r = run(new PolicyReloadCommand(modules, policyFile), JSON.objectNode());
    assertEquals(policyFile.toString(), r.get("source").asText());
    assertEquals(0, r.get("stopped").size());
    assertEquals(0, r.get("narrowed").size());
    assertTrue(modules.policy().defaults().capabilities().size() == 1);
  }

  @Test
  void configReload_brokenFile_invalidConfig_validFile_changedSections() throws Exception {
    Files.writeString(config, "[network]\nport = 1\nport = 2\n");
    AdminException e = fails(new ConfigReloadCommand(modules), JSON.objectNode());
    assertEquals(AdminErrorCode.INVALID_CONFIG, e.code());
    Files.writeString(config, "[network]\nport = 8334\n[rpc]\nport = 1\n");
    JsonNode r = run(new ConfigReloadCommand(modules), JSON.objectNode());
    assertEquals("[\"network\",\"rpc\"]", r.get("changed_sections").toString());
  }

  @Test
  void logs_lastLinesThenFollowedLines() throws Exception {
    Path log = modules.outputLog("bad");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "one\ntwo\nthree\n");
    List<JsonNode> events = new ArrayList<>();
    run(new LogsCommand(modules), module("bad").put("lines", 2), events, 0);
    assertEquals(List.of("two", "three"), texts(events));

    events.clear();
    AdminCall.Stream appending =
        client(
            events,
            n -> {
              try {
                if (n == 0) {
                  Files.writeString(log, "four\nfi", StandardOpenOption.APPEND);
                } else if (n == 1) {
                  Files.writeString(log, "ve\n", StandardOpenOption.APPEND);
                }
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              return n > 2;
            });
    JsonNode r =
        new LogsCommand(modules)
            .run(
                new AdminCall(
                    new AdminRequest(1, "logs", module("bad").put("lines", 1).put("follow", true)),
                    appending));
    assertEquals(List.of("three", "four", "five"), texts(events));
    assertEquals(3, r.get("lines").asInt());
  }

  @Test
  void audit_filteredByModule_recordsAsWritten() throws Exception {
    Files.createDirectories(audit.getParent());
    Files.writeString(
        audit,
        "{\"time\":\"t1\",\"module\":\"a\",\"method\":\"get_block\",\"decision\":\"allowed\"}\n"
            + "{\"time\":\"t2\",\"module\":\"b\",\"method\":\"get_block\",\"decision\":\"denied\"}\n"
            + "{\"gap\":3,\"since\":\"t2\",\"until\":\"t3\",\"error\":\"disk full\"}\n"
            + "not json\n",
        UTF_8);
    List<JsonNode> events = new ArrayList<>();
    run(new AuditCommand(modules), JSON.objectNode().put("module", "b"), events, 0);
    assertEquals(3, events.size());
    assertEquals("denied", events.get(0).get("decision").asText());
    assertEquals(3, events.get(1).get("gap").asInt());
    assertEquals("not json", events.get(2).get("line").asText());
    events.clear();
    run(new AuditCommand(modules), JSON.objectNode().put("lines", 1), events, 0);
    assertEquals(1, events.size());
  }

  private static List<String> texts(List<JsonNode> events) {
    List<String> out = new ArrayList<>();
    events.forEach(e -> out.add(e.get("line").asText()));
    return out;
  }

  @Test
  void logs_noOutputYet_noLines() throws Exception {
    List<JsonNode> events = new ArrayList<>();
    JsonNode r = run(new LogsCommand(modules), module("bad"), events, 0);
    assertEquals(0, r.get("lines").asInt());
    assertTrue(events.isEmpty());
  }
}
