package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blvm-lightning in a real {@code blvm-node} process, sandboxed, under a policy granting exactly
 * its manifest's capabilities, on a simulated chain with frequent payment requests and reorgs:
 * payments settle after the configured confirmations, go back to pending when a reorg removes the
 * paying block and settle again, unpaid ones fail at expiry; the module is killed with SIGKILL on
 * the way and, restarted by the node, finishes the same payments from its state file, reporting
 * each state change once. A second copy whose policy drops {@code read_mempool} is refused its
 * mempool subscription with NOT_CAPABLE.
 */
class LightningNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CAPS =
      "\"read_blockchain\", \"read_mempool\", \"subscribe_events\", \"publish_events\"";
  private static final int CONFIRMATIONS = 2;

  /** A state change the module logs through the node. */
  private static final Pattern CHANGE =
      Pattern.compile(
          "INFO blvm\\.module\\.blvm-lightning: payment (\\S+) (pending|settled|failed)"
              + " transition=(\\d+) txid=(\\S+) block=(\\S+) height=(-?\\d+)"
              + " confirmations=(\\d+) reason=(.*)$");

  private static final Pattern WATCHING =
      Pattern.compile("INFO blvm\\.module\\.blvm-lightning: payment (\\S+) watching ");

  @TempDir Path tmp;

  record Change(String id, String state, int transition, long confirmations, String reason) {}

  /** Installs the built module as {@code name} (its manifest renamed), signed. */
  static void install(Path modules, String name) throws IOException {
    ModuleFixture.installBuilt("blvm.lightningModule", "blvm-lightning.jar", modules, name);
  }

  @Test
  void payments_settleUnsettleByReorgResettleAndExpire_acrossAKillMinus9() throws Exception {
    Path home = ModuleFixture.nodeHome(tmp, "home");
    Path modules = home.resolve("modules");
    install(modules, "blvm-lightning");
    install(modules, "lightning-narrow");
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyText(
            "[defaults]\ncapabilities = ["
                + CAPS
                + "]\n[defaults.restart]\nmode = \"on_failure\"\nbackoff_initial_ms = 200\n"
                + "[modules.lightning-narrow]\n"
                + "capabilities = [\"read_blockchain\", \"subscribe_events\", \"publish_events\"]\n"
                + "on_disallowed_capability = \"drop\"\n"
                + "[modules.lightning-narrow.restart]\nmode = \"never\"\n"));
    Files.writeString(
        home.resolve("node.toml"),
        String.join(
            "\n",
            "[simulation]",
            "seed = 11",
            "block_interval_seconds = 1",
            "reorg_probability = 0.35",
            "max_reorg_depth = 3",
            "transactions_per_minute = 30",
            "payment_requests_per_minute = 30",
            "payment_paid_probability = 0.7",
            "payment_delay_seconds = 2",
            "payment_expiry_seconds = 12",
            ""));
    // the module's own config file, equivalent to [modules.blvm-lightning] in node.toml
    Files.writeString(
        modules.resolve("blvm-lightning.toml"),
        "provider = \"onchain\"\nconfirmations = " + CONFIRMATIONS + "\n");

    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
      node.awaitLine(
          l -> l.contains("blvm-lightning: watching with provider onchain, 2 confirmations"),
          "blvm-lightning runs with the settings of its config file");

      // the copy without read_mempool: its subscription is refused, naming the capability; the
      // module prints the refusal before its process ends, and the node marks it FAILED only when
      // it has seen that end, so a status read right after the line can still say STARTED
      Poll.until(
          Poll.holds(
              () ->
                  node.loader("logs", "lightning-narrow").out().contains("NOT_CAPABLE")
                      && status(node, "lightning-narrow").get("state").asText().equals("FAILED")),
          Duration.ofSeconds(60),
          "lightning-narrow is refused its MempoolTransactionAdded subscription and FAILED");
      NodeProcess.Cli narrow = node.loader("logs", "lightning-narrow");
      assertTrue(narrow.out().contains("read_mempool"), narrow.toString());

      // a first payment settles; then the module is killed
      node.awaitLine(
          l -> changes(List.of(l)).stream().anyMatch(c -> c.state.equals("settled")),
          "a payment settles");
      long pid = status(node, "blvm-lightning").get("pid").asLong();
      Set<String> before = watched(node.lines());
      new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
      Poll.until(
          Poll.holds(
              () -> {
                JsonNode s = status(node, "blvm-lightning");
                return s.get("state").asText().equals("STARTED") && s.get("pid").asLong() != pid;
              }),
          Duration.ofSeconds(60),
          "the node restarts blvm-lightning");

      // every payment watched before the kill ends settled or failed; one goes settled, pending
      // (a reorg removed its block), settled; one expires
      Poll.until(
          Poll.holds(
              () -> {
                Map<String, List<Change>> byId = byPayment(changes(node.lines()));
                boolean reorged = byId.values().stream().anyMatch(LightningNodeIT::settledTwice);
                boolean expired =
                    byId.values().stream()
                        .anyMatch(l -> l.get(l.size() - 1).reason.equals("expired"));
                boolean finished =
                    before.stream()
                        .allMatch(
                            id -> {
                              List<Change> l = byId.getOrDefault(id, List.of());
                              return !l.isEmpty() && !l.get(l.size() - 1).state.equals("pending");
                            });
                return reorged && expired && finished;
              }),
          Duration.ofSeconds(240),
          "a reorged payment settled again, one expired, every payment watched before the kill"
              + " finished");

      List<String> lines = node.lines();
      assertTrue(
          lines.stream().filter(l -> l.contains("blvm-lightning: watching with provider")).count()
              >= 2,
          "the module started twice");
      Map<String, List<Change>> byId = byPayment(changes(lines));
      for (Map.Entry<String, List<Change>> e : byId.entrySet()) {
        List<Change> l = e.getValue();
        for (int i = 0; i < l.size(); i++) {
          Change c = l.get(i);
          assertEquals(i + 1, c.transition, "payment " + e.getKey() + " reported " + l);
          if (c.state.equals("settled")) {
            assertTrue(c.confirmations >= CONFIRMATIONS, c.toString());
          }
          if (i > 0) {
            assertNotEquals(l.get(i - 1).state, c.state, "payment " + e.getKey() + ": " + l);
          }
          if (c.state.equals("failed")) {
            assertEquals(l.size() - 1, i, "failed is final: " + l);
          }
        }
      }
      Change back =
          byId.values().stream()
              .filter(LightningNodeIT::settledTwice)
              .findFirst()
              .orElseThrow()
              .stream()
              .filter(c -> c.state.equals("pending") && c.transition > 1)
              .findFirst()
              .orElseThrow();
      assertTrue(back.reason.contains(" left"), "back to pending because its block left: " + back);
    }
  }

  private static boolean settledTwice(List<Change> l) {
    List<String> states = l.stream().map(Change::state).toList();
    int first = states.indexOf("settled");
    return first >= 0 && states.subList(first + 1, states.size()).contains("settled");
  }

  private static JsonNode status(NodeProcess node, String module) throws Exception {
    NodeProcess.Cli s = node.loader("modules", "status", module, "--json");
    assertEquals(0, s.code(), s.toString());
    return JSON.readTree(s.out());
  }

  static List<Change> changes(List<String> lines) {
    List<Change> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = CHANGE.matcher(line);
      if (m.find()) {
        out.add(
            new Change(
                m.group(1),
                m.group(2),
                Integer.parseInt(m.group(3)),
                Long.parseLong(m.group(7)),
                m.group(8)));
      }
    }
    return out;
  }

  private static Set<String> watched(List<String> lines) {
    Set<String> out = new TreeSet<>();
    for (String line : lines) {
      Matcher m = WATCHING.matcher(line);
      if (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  private static Map<String, List<Change>> byPayment(List<Change> changes) {
    Map<String, List<Change>> m = new LinkedHashMap<>();
    for (Change c : changes) {
      m.computeIfAbsent(c.id, k -> new ArrayList<>()).add(c);
    }
    return m;
  }
}
