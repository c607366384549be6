package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blvm-mesh in two real {@code blvm-node} processes, sandboxed, each under a policy granting
 * exactly its manifest's capabilities: node B's module listens on a brokered socket, node A's is
 * told of B only by a config change (ConfigLoaded, no restart) and connects through its broker. A
 * test module on A routes a packet with {@code call_module("blvm-mesh", "route_packet", …)}; it
 * reaches the test module on B with its payload. A ttl too small and an unknown destination are
 * refused with the documented errors; killing B's module withdraws the route on A, and the link
 * comes back when the node restarted it. A copy on A whose policy drops {@code network_connect} is
 * refused its connection with NOT_CAPABLE.
 */
class MeshNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The manifest's capabilities, as a TOML array's items. */
  static final String CAPS =
      "\"subscribe_events\", \"read_network\", \"register_module_api\", \"call_module\","
          + " \"publish_events\", \"network_listen\", \"network_connect\"";

  /** The manifest's capabilities less {@code network_connect}: a node that only accepts links. */
  private static final String LISTEN_ONLY =
      "\"subscribe_events\", \"read_network\", \"register_module_api\", \"call_module\","
          + " \"publish_events\", \"network_listen\"";

  /** The manifest's capabilities less {@code network_listen}: a node that only dials. */
  private static final String DIAL_ONLY =
      "\"subscribe_events\", \"read_network\", \"register_module_api\", \"call_module\","
          + " \"publish_events\", \"network_connect\"";

  private static final String TEST_CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
          + " \"register_module_api\"";
  private static final String GREETING = "hello across the mesh";

  @TempDir Path tmp;

  /** Installs the built module as {@code name} (its manifest renamed), signed. */
  static void install(Path modules, String name) throws IOException {
    ModuleFixture.installBuilt("blvm.meshModule", "blvm-mesh.jar", modules, name);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path home(Path tmp, String name, int seed, String simulation) throws IOException {
    Path home = ModuleFixture.nodeHome(tmp, name);
    Files.writeString(
        home.resolve("node.toml"),
        "[simulation]\nseed = " + seed + "\nblock_interval_seconds = 1\n" + simulation);
    return home;
  }

  @Test
  void packet_crossesTwoNodes_refusalsDocumented_linkWithdrawnAndRestored() throws Exception {
    int port = freePort();
    String b = "127.0.0.1:" + port;
    String a = "127.0.0.1:" + freePort();

    // node B: blvm-mesh listens and hands packets for node-b to mesh-receiver's echo
    Path homeB = home(tmp, "b", 21, "");
    Path modulesB = homeB.resolve("modules");
    install(modulesB, "blvm-mesh");
    ModuleFixture.install(modulesB, "mesh-receiver", TEST_CAPS, "log_echo = true");
    Files.writeString(
        modulesB.resolve("blvm-mesh.toml"),
        "node_id = \"node-b\"\nlisten = \""
            + b
            + "\"\ndeliver_module = \"mesh-receiver\"\ndeliver_method = \"echo\"\n");
    Files.writeString(
        homeB.resolve("policy.toml"),
        ModuleFixture.policyText(
            "[defaults]\ncapabilities = ["
                + TEST_CAPS
                + "]\n[defaults.restart]\nmode = \"on_failure\"\nbackoff_initial_ms = 200\n"
                + "[modules.blvm-mesh]\ncapabilities = ["
                + LISTEN_ONLY
                + "]\non_disallowed_capability = \"drop\"\n"
                + "callable_modules = [\"mesh-receiver\"]\n"
                + "[modules.blvm-mesh.network]\nlisten = [\""
                + b
                + "\"]\n"));

    // node A: blvm-mesh without peers at first; mesh-sender routes three packets on each block
    // one P2P peer at a time, every one a mesh peer announcing "sim-ID-leaf"; it changes about
    // every ten seconds (docs/simulation.md, "Mesh peers")
    Path homeA =
        home(
            tmp,
            "a",
            22,
            "mesh_peers = 1\ninitial_peers = 1\nmin_peers = 0\nmax_peers = 1\n"
                + "peer_changes_per_minute = 6\n");
    Path modulesA = homeA.resolve("modules");
    install(modulesA, "blvm-mesh");
    install(modulesA, "mesh-narrow");
    install(modulesA, "mesh-blind");
    ModuleFixture.install(
        modulesA,
        "mesh-sender",
        TEST_CAPS,
        "calls_on_block = ["
            + call("node-b", "{ greeting = \"" + GREETING + "\" }", 4)
            + ", "
            + call("node-b", "{ n = 1 }", 0)
            + ", "
            + call("nowhere", "{ n = 2 }", 4)
            + peerCalls()
            + "]");
    Files.writeString(
        modulesA.resolve("blvm-mesh.toml"), "node_id = \"node-a\"\nlisten = \"" + a + "\"\n");
    Files.writeString(
        modulesA.resolve("mesh-narrow.toml"), "node_id = \"node-n\"\npeers = [\"" + b + "\"]\n");
    Files.writeString(modulesA.resolve("mesh-blind.toml"), "node_id = \"node-x\"\n");
    Files.writeString(
        homeA.resolve("policy.toml"),
        ModuleFixture.policyText(
            "[defaults]\ncapabilities = ["
                + TEST_CAPS
                + "]\n[modules.mesh-sender]\ncallable_modules = [\"blvm-mesh\"]\n"
                + "[modules.blvm-mesh]\ncapabilities = ["
                + DIAL_ONLY
                + "]\non_disallowed_capability = \"drop\"\n"
                + "[modules.blvm-mesh.network]\nconnect = [\""
                + b
                + "\"]\nlisten = [\""
                + a
                + "\"]\n[modules.mesh-narrow]\ncapabilities = ["
                + LISTEN_ONLY
                + "]\non_disallowed_capability = \"drop\"\n"
                + "[modules.mesh-blind]\ncapabilities = [\"subscribe_events\","
                + " \"register_module_api\", \"call_module\", \"publish_events\","
                + " \"network_listen\", \"network_connect\"]\n"
                + "on_disallowed_capability = \"drop\"\n"
                + "[modules.mesh-blind.restart]\nmode = \"never\"\n"));

    try (NodeProcess nodeB = NodeProcess.start(homeB, tmp.resolve("b.log"));
        NodeProcess nodeA = NodeProcess.start(homeA, tmp.resolve("a.log"))) {
      nodeB.awaitLine(
          l -> l.contains("blvm-mesh: mesh node \"node-b\" listening on " + b),
          "B's blvm-mesh listens");
      nodeA.awaitLine(
          l -> l.contains("blvm-mesh: mesh node \"node-a\" listening on " + a + ", peers []"),
          "A's blvm-mesh runs without peers");

      // A's blvm-mesh only dials: its listen address, though in the network rules, is refused
      nodeA.awaitLine(
          l ->
              l.contains("blvm-mesh: cannot listen on " + a + ": ")
                  && l.contains("NOT_CAPABLE (network_listen)"),
          "A's blvm-mesh without network_listen is refused net_listen with NOT_CAPABLE");

      // the copy without network_connect: its connection is refused, naming the capability, and
      // tried again after its backoff (the node's audit log records each denial)
      nodeA.awaitLine(
          l ->
              l.contains("mesh-narrow: connect to " + b + " refused")
                  && l.contains("NOT_CAPABLE (network_connect)"),
          "mesh-narrow is refused net_connect with NOT_CAPABLE");
      Poll.until(
          Poll.holds(() -> deniedConnects(nodeA, "mesh-narrow") >= 2),
          Duration.ofSeconds(60),
          "mesh-narrow tries again after its backoff and is denied again");

      // the copy without read_network: its subscriptions are refused, it cannot start
      Poll.until(
          Poll.holds(
              () -> {
                NodeProcess.Cli logs = nodeA.loader("logs", "mesh-blind");
                return logs.out().contains("NOT_CAPABLE") && logs.out().contains("read_network");
              }),
          Duration.ofSeconds(60),
          "mesh-blind is refused its PeerConnected subscription naming read_network");
      Poll.until(
          Poll.holds(() -> status(nodeA, "mesh-blind").get("state").asText().equals("FAILED")),
          Duration.ofSeconds(60),
          "mesh-blind does not start");

      // before any link: no route
      nodeA.awaitLine(
          l ->
              l.contains(
                  "mesh-sender: call 0 error NOT_FOUND no route: no route to node \"node-b\""),
          "without a link node-b is unknown");

      // a P2P peer's meshannounce becomes a route marked with the peer, which route_packet reports
      // (the node cannot send to a peer); the peer's disconnection withdraws it
      Pattern added =
          Pattern.compile(
              "blvm-mesh: route to \"sim-(\\d+)-leaf\" added \\(learned from P2P peer \\1\\b.*"
                  + ": via node \"sim-\\1\", 2 hops");
      nodeA.awaitLine(l -> added.matcher(l).find(), "a route learned from a P2P peer");
      String peer =
          nodeA.lines().stream()
              .map(added::matcher)
              .filter(Matcher::find)
              .findFirst()
              .orElseThrow()
              .group(1);
      nodeA.awaitLine(
          l ->
              l.contains("mesh-sender: call ")
                  && mentions(
                      l,
                      " error UNAVAILABLE peer route: node \"sim-"
                          + peer
                          + "-leaf\" is 2 hops away via P2P peer ",
                      peer),
          "route_packet reports the route learned from peer " + peer);
      nodeA.awaitLine(
          l ->
              l.contains("blvm-mesh: p2p status: ")
                  && l.contains("[peer " + peer + " ")
                  && l.contains(" /blvm-mesh-sim:0.1.0/ node \"sim-" + peer + "\"]"),
          "the status shows the mesh peer from get_network_peers");
      nodeA.awaitLine(
          l ->
              mentions(
                  l,
                  "blvm-mesh: route to \"sim-" + peer + "-leaf\" withdrawn (learned from P2P peer ",
                  peer),
          "PeerDisconnected withdraws the routes learned from the peer");

      // a new peer through the module's config file: connected without a restart
      Files.writeString(
          modulesA.resolve("blvm-mesh.toml"),
          "node_id = \"node-a\"\nlisten = \"" + a + "\"\npeers = [\"" + b + "\"]\n");
      NodeProcess.Cli reload = nodeA.loader("config", "reload");
      assertEquals(0, reload.code(), reload.toString());
      nodeA.awaitLine(
          l -> l.contains("blvm-mesh: link to " + b + " up: node \"node-b\""), "A links to B");
      nodeB.awaitLine(
          l -> l.contains("blvm-mesh: link accepted on " + b + " up: node \"node-a\""),
          "B accepts A's link");
      nodeA.awaitLine(
          l -> l.contains("blvm-mesh: route to \"node-b\" added: via \"node-b\", 1 hops"),
          "A has a route to node-b");

      // the packet crosses: B's mesh hands it to mesh-receiver, which sees blvm-mesh as caller
      nodeA.awaitLine(
          l ->
              l.contains(
                  "mesh-sender: call 0 ok {\"destination\":\"node-b\",\"next_hop\":\"node-b\""),
          "route_packet sends the packet via node-b");
      nodeB.awaitLine(
          l ->
              l.contains("mesh-receiver: echo from blvm-mesh params=")
                  && l.contains("\"source\":\"node-a\"")
                  && l.contains("\"hops\":1")
                  && l.contains("\"greeting\":\"" + GREETING + "\""),
          "the packet reaches mesh-receiver on B with its payload");

      // ttl 0 cannot travel one hop; an unknown destination has no route
      nodeA.awaitLine(
          l ->
              l.contains(
                  "mesh-sender: call 1 error UNAVAILABLE ttl exhausted: ttl 0 does not reach node"
                      + " \"node-b\", 1 hops away"),
          "ttl 0 is refused");
      nodeA.awaitLine(
          l ->
              l.contains(
                  "mesh-sender: call 2 error NOT_FOUND no route: no route to node \"nowhere\""),
          "an unknown destination is refused");

      // the link drops (B's module killed): the route is withdrawn, then the link comes back
      long pid = status(nodeB, "blvm-mesh").get("pid").asLong();
      new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
      nodeA.awaitLine(
          l -> l.contains("blvm-mesh: route to \"node-b\" withdrawn"),
          "A withdraws the route when the link drops");
      Poll.until(
          () -> {
            try {
              return nodeA.lines().stream()
                      .filter(l -> l.contains("blvm-mesh: link to " + b + " up: node \"node-b\""))
                      .count()
                  >= 2;
            } catch (IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(90),
          "A links to B again after B's module restarted");

      List<String> states = List.of(status(nodeA, "blvm-mesh").get("state").asText());
      assertEquals(List.of("STARTED"), states);
      assertTrue(
          Files.readString(tmp.resolve("b.log")).contains("\"source\":\"node-a\""),
          "B's log holds the delivered packet");
    }
  }

  /** {@code line} holds {@code text} followed by the peer id {@code peer} as a whole number. */
  private static boolean mentions(String line, String text, String peer) {
    return line.contains(text + peer + ")")
        || line.contains(text + peer + " (")
        || line.contains(text + peer + ",");
  }

  /** route_packet calls for the leaves of the first P2P peers (calls 3 to 10). */
  private static String peerCalls() {
    StringBuilder b = new StringBuilder();
    for (int id = 1; id <= 8; id++) {
      b.append(", ").append(call("sim-" + id + "-leaf", "{ n = 3 }", 4));
    }
    return b.toString();
  }

  private static String call(String destination, String payload, int ttl) {
    return "{ target = \"blvm-mesh\", method = \"route_packet\", params = { destination = \""
        + destination
        + "\", payload = "
        + payload
        + ", ttl = "
        + ttl
        + " } }";
  }

  /** How many {@code net_connect} calls of {@code module} the node's audit log records denied. */
  private static long deniedConnects(NodeProcess node, String module) throws Exception {
    NodeProcess.Cli audit = node.loader("audit", "--module", module, "-n", "1000", "--json");
    assertEquals(0, audit.code(), audit.toString());
    long denied = 0;
    for (String l : audit.out().lines().toList()) {
      JsonNode r = JSON.readTree(l);
      if (r.path("method").asText().startsWith("net_connect")
          && r.path("decision").asText().equals("denied")) {
        denied++;
      }
    }
    return denied;
  }

  private static JsonNode status(NodeProcess node, String module) throws Exception {
    NodeProcess.Cli s = node.loader("modules", "status", module, "--json");
    assertEquals(0, s.code(), s.toString());
    return JSON.readTree(s.out());
  }
}
