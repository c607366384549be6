package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.blvm.testsupport.Poll;
import org.blvm.testsupport.TestCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blvm-governance in a real {@code blvm-node} process, sandboxed, under a policy granting exactly
 * its manifest's capabilities and a {@code connect} rule for each receiver, on a simulated chain
 * with frequent governance events: JDK HTTP servers in the test receive the notifications, each
 * with an HMAC the test recomputes. The receiver holds a request while the module is killed with
 * SIGKILL; the node restarts it and every notification the module queued arrives, a repeat only
 * under the same idempotency key with the same body. A new {@code webhook_url} in the node config
 * reaches a second (HTTPS) receiver after a config reload, without a restart; the node is killed
 * with SIGKILL while that receiver holds a request, and a new node on the same home delivers it
 * again. A second copy of the module, without {@code read_network} and without the secret's grant,
 * is refused {@code get_network_stats} with NOT_CAPABLE and sees the secret only redacted.
 */
class GovernanceNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String CAPS =
      "\"subscribe_events\", \"read_blockchain\", \"read_network\", \"read_config\","
          + " \"network_connect\", \"publish_events\"";
  private static final Pattern QUEUED =
      Pattern.compile("INFO blvm\\.module\\.blvm-governance: queued (gov-[0-9a-f]{32}) (\\S+)$");

  @TempDir Path tmp;

  /** One request a receiver read whole. */
  record Delivery(String key, String path, String type, String body, boolean signatureValid) {}

  /**
   * A webhook receiver: records every request, answers 200, or holds the next request until
   * released and then answers 503 (so the held one is never acknowledged).
   */
  static final class Receiver implements AutoCloseable {
    final HttpServer server;
    final byte[] secret;
    final List<Delivery> acknowledged = new CopyOnWriteArrayList<>();
    final List<Delivery> held = new CopyOnWriteArrayList<>();
    private final AtomicReference<CountDownLatch> armed = new AtomicReference<>();
    private final List<CountDownLatch> holds = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    Receiver(HttpServer server, byte[] secret) {
      this.server = server;
      this.secret = secret;
      server.setExecutor(pool);
      server.createContext(
          "/",
          x -> {
            byte[] body = x.getRequestBody().readAllBytes();
            Delivery d =
                new Delivery(
                    x.getRequestHeaders().getFirst("Idempotency-Key"),
                    x.getRequestURI().getPath(),
                    x.getRequestHeaders().getFirst("X-Blvm-Notification"),
                    new String(body, StandardCharsets.UTF_8),
                    valid(x.getRequestHeaders().getFirst("X-Blvm-Signature"), body));
            CountDownLatch hold = armed.getAndSet(null);
            if (hold != null) {
              held.add(d);
              try {
                hold.await(120, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              x.sendResponseHeaders(503, -1);
            } else {
              acknowledged.add(d);
              x.sendResponseHeaders(200, -1);
            }
            x.close();
          });
      server.start();
    }

    /** Holds the next request until {@link #releaseHeld()}. */
    void holdNext() {
      CountDownLatch l = new CountDownLatch(1);
      holds.add(l);
      armed.set(l);
    }

    /** Lets every held request be answered (503). */
    void releaseHeld() {
      holds.forEach(CountDownLatch::countDown);
    }

    int port() {
      return server.getAddress().getPort();
    }

    private boolean valid(String header, byte[] body) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        return header != null
            && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII),
                header.getBytes(StandardCharsets.US_ASCII));
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    Set<String> keys() {
      return acknowledged.stream()
          .map(Delivery::key)
          .collect(Collectors.toCollection(TreeSet::new));
    }

    @Override
    public void close() {
      releaseHeld();
      server.stop(0);
      pool.shutdownNow();
    }
  }

  /** Installs the built module as {@code name} (its manifest renamed), signed. */
  static void install(Path modules, String name) throws IOException {
    ModuleFixture.installBuilt("blvm.governanceModule", "blvm-governance.jar", modules, name);
  }

  private static String nodeConfig(String url, String secret) {
    return String.join(
        "\n",
        "[simulation]",
        "seed = 5",
        "block_interval_seconds = 1",
        "governance_events_per_minute = 60",
        "[governance]",
        "webhook_url = \"" + url + "\"",
        "node_id = \"node-it\"",
        "webhook_secret = \"" + secret + "\"",
        "");
  }

  private static void writePrivate(Path file, String text) throws IOException {
    Path part = file.resolveSibling(file.getFileName() + ".part");
    Files.deleteIfExists(part);
    Files.createFile(
        part, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(part, text);
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void webhooks_signedNothingLostAcrossAKillMinus9_urlReloaded_narrowCopyRefused()
      throws Exception {
    Path home = ModuleFixture.nodeHome(tmp, "home");
    Path modules = home.resolve("modules");
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String secret = HexFormat.of().formatHex(random);
    byte[] secretBytes = secret.getBytes(StandardCharsets.UTF_8);
    TestCertificate cert = TestCertificate.selfSigned("ip:127.0.0.1");
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));

    install(modules, "blvm-governance");
    install(modules, "governance-narrow");
    try (Receiver first =
            new Receiver(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0), secretBytes);
        Receiver second = new Receiver(https, secretBytes)) {
      Files.writeString(
          home.resolve("policy.toml"),
          ModuleFixture.policyText(
              "[defaults]\ncapabilities = ["
                  + CAPS
                  + "]\nconfig_sections = [\"governance\"]\n"
                  + "[defaults.restart]\nmode = \"on_failure\"\nbackoff_initial_ms = 200\n"
                  + "[modules.blvm-governance]\n"
                  + "config_secrets = [\"governance.webhook_secret\"]\n"
                  + "[modules.blvm-governance.network]\n"
                  + "connect = [\"127.0.0.1:"
                  + first.port()
                  + "\", \"127.0.0.1:"
                  + second.port()
                  + "\"]\n"
                  + "[modules.governance-narrow]\n"
                  + "capabilities = [\"subscribe_events\", \"read_blockchain\", \"read_config\","
                  + " \"network_connect\", \"publish_events\"]\n"
                  + "on_disallowed_capability = \"drop\"\n"
                  + "[modules.governance-narrow.network]\n"
                  + "connect = [\"127.0.0.1:"
                  + first.port()
                  + "\"]\n"
                  + "[modules.governance-narrow.restart]\nmode = \"never\"\n"));
      writePrivate(
          home.resolve("node.toml"),
          nodeConfig("http://127.0.0.1:" + first.port() + "/hooks", secret));
      // the module's own config file; the receiver's certificate is trusted through it
      writePrivate(
          modules.resolve("blvm-governance.toml"),
          "status_every_blocks = 3\nbackoff_initial_ms = 100\nbackoff_max_ms = 1000\n"
              + "ca_pem = \"\"\""
              + cert.pem()
              + "\"\"\"\n");
      writePrivate(modules.resolve("governance-narrow.toml"), "status_every_blocks = 1\n");

      try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node.log"))) {
        node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
        node.awaitLine(
            l ->
                l.contains(
                    "blvm-governance: webhook target http://127.0.0.1:"
                        + first.port()
                        + "/hooks node_id node-it"),
            "blvm-governance reads its target from [governance]");

        // the narrow copy: the secret arrives redacted, get_network_stats is refused
        node.awaitLine(
            l ->
                l.contains(
                    "governance-narrow: not delivering: governance.webhook_secret is redacted"),
            "governance-narrow sees the secret redacted");
        node.awaitLine(
            l ->
                l.contains("governance-narrow: status at height")
                    && l.contains("not queued: NOT_CAPABLE"),
            "governance-narrow is refused get_network_stats");

        // signed deliveries of governance events and statuses
        Poll.until(
            () ->
                first.acknowledged.stream().anyMatch(d -> d.type().equals("status"))
                    && first.acknowledged.stream().anyMatch(d -> !d.type().equals("status")),
            Duration.ofSeconds(90),
            "a status and a governance event delivered");
        for (Delivery d : first.acknowledged) {
          assertTrue(d.signatureValid(), "HMAC of " + d);
          assertEquals("/hooks", d.path());
          JsonNode body = JSON.readTree(d.body());
          assertEquals(d.key(), body.get("idempotency_key").asText());
          assertEquals("node-it", body.get("node_id").asText());
        }

        // kill -9 while the receiver holds a request
        first.holdNext();
        Poll.until(() -> !first.held.isEmpty(), Duration.ofSeconds(60), "a request is held");
        Delivery inFlight = first.held.get(0);
        long pid = status(node, "blvm-governance").get("pid").asLong();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
        first.releaseHeld();
        Poll.until(
            Poll.holds(
                () -> {
                  JsonNode s = status(node, "blvm-governance");
                  return s.get("state").asText().equals("STARTED") && s.get("pid").asLong() != pid;
                }),
            Duration.ofSeconds(60),
            "the node restarts blvm-governance");
        long restarted = status(node, "blvm-governance").get("pid").asLong();
        Poll.until(
            () -> first.keys().contains(inFlight.key()),
            Duration.ofSeconds(60),
            "the held notification is delivered again after the restart");

        // a new webhook_url (https) applies without a restart
        writePrivate(
            home.resolve("node.toml"),
            nodeConfig("https://127.0.0.1:" + second.port() + "/other", secret));
        NodeProcess.Cli reload = node.loader("config", "reload");
        assertEquals(0, reload.code(), reload.toString());
        Poll.until(
            () -> !second.acknowledged.isEmpty(),
            Duration.ofSeconds(60),
            "deliveries reach the new URL over HTTPS");
        assertEquals(restarted, status(node, "blvm-governance").get("pid").asLong());
        for (Delivery d : second.acknowledged) {
          assertTrue(d.signatureValid(), "HMAC of " + d);
          assertEquals("/other", d.path());
        }

        // nothing queued is lost: every queued key reaches a receiver; a repeat keeps its key
        // and its body
        Set<String> queued = queued(node.lines());
        Poll.until(
            () -> {
              Set<String> got = new TreeSet<>(first.keys());
              got.addAll(second.keys());
              return got.containsAll(queued);
            },
            Duration.ofSeconds(90),
            "every notification queued so far is delivered");
        Map<String, Set<String>> bodies =
            java.util.stream.Stream.of(first.acknowledged, second.acknowledged, first.held)
                .flatMap(List::stream)
                .collect(
                    Collectors.groupingBy(
                        Delivery::key, Collectors.mapping(Delivery::body, Collectors.toSet())));
        bodies.forEach((k, b) -> assertEquals(1, b.size(), "one body per key " + k + ": " + b));
        assertTrue(queued.contains(inFlight.key()), inFlight.key());

        List<String> lines = node.lines();
        assertFalse(lines.stream().anyMatch(l -> l.contains(secret)), "the secret is never logged");
        assertFalse(
            lines.stream().anyMatch(l -> l.contains("not published")),
            "delivered and failed events are published");

        // kill -9 of the node (its sandboxes die with it) while a request is held; a new node
        // on the same home delivers it again
        second.holdNext();
        Poll.until(() -> !second.held.isEmpty(), Duration.ofSeconds(60), "a request is held");
        node.signal("KILL", false);
        node.awaitExit(Duration.ofSeconds(30));
        second.releaseHeld();
      }
      Delivery held = second.held.get(0);
      try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node-2.log"))) {
        node.awaitLine(l -> l.startsWith("blvm-node: running"), "the second node runs");
        Poll.until(
            () -> second.keys().contains(held.key()),
            Duration.ofSeconds(60),
            "the notification held when the node was killed is delivered by the next node");
        Delivery again =
            second.acknowledged.stream().filter(d -> d.key().equals(held.key())).findFirst().get();
        assertEquals(held.body(), again.body());
        assertTrue(again.signatureValid(), again.toString());
      }
    }
  }

  private static JsonNode status(NodeProcess node, String module) throws Exception {
    NodeProcess.Cli s = node.loader("modules", "status", module, "--json");
    assertEquals(0, s.code(), s.toString());
    return JSON.readTree(s.out());
  }

  private static Set<String> queued(List<String> lines) {
    Set<String> out = new TreeSet<>();
    for (String line : lines) {
      Matcher m = QUEUED.matcher(line);
      if (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }
}
