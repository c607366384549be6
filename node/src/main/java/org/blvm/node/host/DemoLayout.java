package org.blvm.node.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;

/**
 * What the demo writes into its home: a dev signing key (the secret half in {@code keys/dev.key},
 * mode 0600, unencrypted, never printed), a commented policy trusting exactly that key and granting
 * each module exactly its row of docs/modules.md, a node config (mode 0600: it holds the webhook
 * secret), each module's own config file, and the modules signed with the key, as an operator's
 * node would have them.
 */
final class DemoLayout {
  static final String GOVERNANCE = "blvm-governance";
  static final String STRATUM = "blvm-stratum-v2";
  static final String LIGHTNING = "blvm-lightning";

  /** blvm-mesh twice: {@code mesh-a} dials {@code mesh-b}, which listens. */
  static final String MESH_A = "mesh-a";

  static final String MESH_B = "mesh-b";

  /**
   * The example module as the mesh's user: on each block it routes a packet through {@code mesh-a}
   * to node {@code node-b}, and {@code mesh-b} delivers it back to its {@code echo}.
   */
  static final String PROBE = "mesh-probe";

  static final String MESH_CAPS =
      "\"subscribe_events\", \"read_network\", \"register_module_api\", \"call_module\","
          + " \"publish_events\", \"network_listen\", \"network_connect\"";

  /** Each module's grant, in the order the demo shows them: its manifest's capabilities. */
  static final Map<String, String> CAPABILITIES = capabilities();

  private static Map<String, String> capabilities() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(
        GOVERNANCE,
        "\"subscribe_events\", \"read_blockchain\", \"read_network\", \"read_config\","
            + " \"network_connect\", \"publish_events\"");
    m.put(
        STRATUM,
        "\"read_chain_state\", \"read_blockchain\", \"submit_block\", \"subscribe_events\","
            + " \"publish_events\", \"network_listen\"");
    m.put(MESH_A, MESH_CAPS);
    m.put(MESH_B, MESH_CAPS);
    m.put(
        LIGHTNING,
        "\"read_blockchain\", \"read_mempool\", \"subscribe_events\", \"publish_events\"");
    m.put(
        PROBE,
        "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
            + " \"register_module_api\"");
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The built module directories (manifest and jar) and the example module's jar. */
  record Built(Path governance, Path stratum, Path mesh, Path lightning, Path exampleJar) {
    /** The checkout's {@code modules/NAME/target/module} directories. */
    static Built fromCheckout(Path modules, Path exampleJar) {
      return new Built(
          modules.resolve(GOVERNANCE).resolve("target").resolve("module"),
          modules.resolve(STRATUM).resolve("target").resolve("module"),
          modules.resolve("blvm-mesh").resolve("target").resolve("module"),
          modules.resolve(LIGHTNING).resolve("target").resolve("module"),
          exampleJar);
    }
  }

  /** The loopback ports the demo uses: the webhook receiver's, the pool's, mesh-b's. */
  record Ports(int webhook, int stratum, int mesh) {}

  private DemoLayout() {}

  /**
   * Writes the layout into {@code home} (prepared by {@link DemoHome}); returns the module names.
   * {@code secret} is the webhook HMAC key: it goes into the node config only.
   */
  static List<String> write(Path home, Built built, Ports ports, String secret, SecureRandom random)
      throws IOException {
    NodePaths p = NodePaths.home(home);
    Path keys = Files.createDirectories(home.resolve("keys"));
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
    try (MinisignSecretKey key = MinisignSecretKey.generate(random)) {
      writePrivate(keys.resolve("dev.key"), key.encode(null, null, random));
      Files.writeString(keys.resolve("dev.pub"), key.publicKey().fileContent());
      Files.writeString(p.policy(), policy(key, home, ports));
      writePrivate(p.config(), nodeConfig(home, ports, secret));
      Path m = Files.createDirectories(p.modules());
      install(m, GOVERNANCE, built.governance(), "blvm-governance.jar", key);
      install(m, STRATUM, built.stratum(), "blvm-stratum-v2.jar", key);
      install(m, MESH_A, built.mesh(), "blvm-mesh.jar", key);
      install(m, MESH_B, built.mesh(), "blvm-mesh.jar", key);
      install(m, LIGHTNING, built.lightning(), "blvm-lightning.jar", key);
      probe(m.resolve(PROBE), built.exampleJar(), key);
      for (Map.Entry<String, String> e : moduleConfigs(home, ports).entrySet()) {
        Files.writeString(m.resolve(e.getKey() + ".toml"), e.getValue());
      }
      return List.copyOf(CAPABILITIES.keySet());
    } catch (KeyFormatException | AdmissionException e) {
      throw new IOException("cannot lay out the demo: " + e.getMessage(), e);
    }
  }

  /** Creates {@code file} with mode 0600 before any byte is written to it. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** Copies a built module as {@code name} (its manifest's name replaced) and signs it. */
  private static void install(
      Path modules, String name, Path built, String jar, MinisignSecretKey key)
      throws IOException, AdmissionException {
    if (!Files.isRegularFile(built.resolve("module.toml"))) {
      throw new IOException("no built module in " + built + " (bin/blvm-demo builds it)");
    }
    Path dir = Files.createDirectories(modules.resolve(name));
    Files.copy(built.resolve(jar), dir.resolve(jar), StandardCopyOption.REPLACE_EXISTING);
    String manifest = Files.readString(built.resolve("module.toml"));
    Files.writeString(
        dir.resolve("module.toml"),
        manifest.replaceFirst("(?m)^name = \"[^\"]*\"", "name = \"" + name + "\""));
    ModuleSigner.sign(dir, key, null, true);
  }

  private static void probe(Path dir, Path jar, MinisignSecretKey key)
      throws IOException, AdmissionException {
    Files.createDirectories(dir);
    Files.copy(jar, dir.resolve("module.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("module.toml"),
        String.join(
            "\n",
            "name = \"" + PROBE + "\"",
            "version = \"0.1.0\"",
            "description = \"Routes a packet through the mesh on every block and logs what"
                + " arrives\"",
            "runtime = \"java\"",
            "entry = \"module.jar\"",
            "capabilities = [" + CAPABILITIES.get(PROBE) + "]",
            "provides = [\"echo\", \"call_back\"]",
            "publishes = [\"test.block_seen\"]",
            ""));
    ModuleSigner.sign(dir, key, null, true);
  }

  /** The demo's policy: each module's section grants exactly its row, and says why. */
  static String policy(MinisignSecretKey key, Path home, Ports ports) {
    String loop = "127.0.0.1:";
    return String.join(
        "\n",
        "# The demo's operator policy (docs/policy.md), written by blvm-node --demo.",
        "# Edit it, then apply it to the running node:",
        "#   bin/blvm-loader policy reload --home " + home,
        "# (or send the node SIGHUP). A file with problems is refused with every problem listed.",
        "",
        "# Signatures needed, each by a different trusted key.",
        "threshold = 1",
        "",
        "# To revoke the dev key, uncomment this line (it must stay above the first [table]) and",
        "# reload: every module the key signed is stopped, with the reason.",
        "# revoked = [\"" + key.keyId() + "\"]",
        "",
        "# The key the demo generated; its secret half is keys/dev.key (sign your own module with",
        "#   bin/blvm-sign sign -s " + home.resolve("keys").resolve("dev.key") + " DIR).",
        "[[keys]]",
        "name = \"demo-dev\"",
        "public_key = \"" + key.publicKey().encoded() + "\"",
        "",
        "# Nothing by default: each module below gets exactly its manifest's capabilities.",
        "[defaults]",
        "capabilities = []",
        "# A declared capability not granted refuses the module; \"drop\" runs it without.",
        "on_disallowed_capability = \"reject\"",
        "",
        "# A module that crashes is restarted, with a backoff, at most 5 times in 10 minutes.",
        "[defaults.restart]",
        "mode = \"on_failure\"",
        "max_restarts = 5",
        "window_seconds = 600",
        "",
        "# blvm-governance: governance events and ConfigLoaded (subscribe_events), NewBlock and",
        "# get_chain_tip (read_blockchain), get_network_stats (read_network), the [governance]",
        "# section with its secret (read_config), one connection to the demo's webhook receiver",
        "# (network_connect: a loopback address only through a rule naming it), its two topics.",
        "[modules." + GOVERNANCE + "]",
        "capabilities = [" + CAPABILITIES.get(GOVERNANCE) + "]",
        "config_sections = [\"governance\"]",
        "config_secrets = [\"governance.webhook_secret\"]",
        "[modules." + GOVERNANCE + ".network]",
        "connect = [\"" + loop + ports.webhook() + "\"]",
        "",
        "# blvm-stratum-v2: templates (read_chain_state), the tip (read_blockchain), submit_block,",
        "# its events and topics, and one listening socket the node binds for it (network_listen).",
        "[modules." + STRATUM + "]",
        "capabilities = [" + CAPABILITIES.get(STRATUM) + "]",
        "[modules." + STRATUM + ".network]",
        "listen = [\"" + loop + ports.stratum() + "\"]",
        "",
        "# blvm-mesh, twice: mesh-b listens, mesh-a dials it (each only its own network rule);",
        "# both serve route_packet (register_module_api) and publish mesh.route_changed; mesh-b",
        "# hands packets for its node to mesh-probe (call_module).",
        "[modules." + MESH_A + "]",
        "capabilities = [" + CAPABILITIES.get(MESH_A) + "]",
        "[modules." + MESH_A + ".network]",
        "connect = [\"" + loop + ports.mesh() + "\"]",
        "[modules." + MESH_B + "]",
        "capabilities = [" + CAPABILITIES.get(MESH_B) + "]",
        "callable_modules = [\"" + PROBE + "\"]",
        "[modules." + MESH_B + ".network]",
        "listen = [\"" + loop + ports.mesh() + "\"]",
        "",
        "# blvm-lightning: chain and mempool reads with their events, its lightning.payment_*",
        "# topics. It serves no method and calls no module.",
        "[modules." + LIGHTNING + "]",
        "capabilities = [" + CAPABILITIES.get(LIGHTNING) + "]",
        "",
        "# mesh-probe (the example module): reads each block, calls mesh-a's route_packet, serves",
        "# the echo mesh-b delivers to.",
        "[modules." + PROBE + "]",
        "capabilities = [" + CAPABILITIES.get(PROBE) + "]",
        "callable_modules = [\"" + MESH_A + "\"]",
        "");
  }

  /**
   * The demo's node config: a block every 2 s on average at an easy target (one hash in 256, so the
   * demo's miner finds blocks too), frequent payment requests and governance events, and the
   * webhook receiver with its secret.
   */
  static String nodeConfig(Path home, Ports ports, String secret) {
    return String.join(
        "\n",
        "# The demo's node config (docs/config.md), written by blvm-node --demo; mode 0600, as it",
        "# holds the webhook secret. Reload it with",
        "#   bin/blvm-loader config reload --home " + home,
        "",
        "# The simulated chain (docs/simulation.md: every key, its default and range).",
        "[simulation]",
        "block_interval_seconds = 2",
        "target_bits = 0x2000ffff",
        "# Payment requests for blvm-lightning: one every 3 s, paid after 2 s on average (or",
        "# never, one in five), expiring after 60 s.",
        "payment_requests_per_minute = 20",
        "payment_delay_seconds = 2",
        "payment_expiry_seconds = 60",
        "governance_events_per_minute = 12",
        "",
        "# Where blvm-governance posts: the demo's own receiver, which checks each signature.",
        "[governance]",
        "webhook_url = \"http://127.0.0.1:" + ports.webhook() + "/blvm\"",
        "node_id = \"blvm-demo\"",
        "webhook_secret = \"" + secret + "\"",
        "");
  }

  /** Each module's own config file, {@code modules/NAME.toml}. */
  static Map<String, String> moduleConfigs(Path home, Ports ports) {
    String head =
        "# Edit and save: the node reloads it and sends the module ConfigLoaded (or: bin/blvm-loader"
            + " config reload --home "
            + home
            + ").\n";
    Map<String, String> m = new LinkedHashMap<>();
    m.put(
        GOVERNANCE,
        head
            + "# a status (tip, network stats) at every block; quick retries\n"
            + "status_every_blocks = 1\nbackoff_initial_ms = 200\nbackoff_max_ms = 5000\n"
            + "timeout_seconds = 5\n");
    m.put(
        STRATUM,
        head
            + "# the demo's miner connects here; a share is one hash in 16\n"
            + "listen = \"127.0.0.1:"
            + ports.stratum()
            + "\"\nshare_zero_bits = 4\nmax_connections = 4\n");
    m.put(
        MESH_A,
        head
            + "node_id = \"node-a\"\npeers = [\"127.0.0.1:"
            + ports.mesh()
            + "\"]\nannounce_interval_ms = 5000\n");
    m.put(
        MESH_B,
        head
            + "node_id = \"node-b\"\nlisten = \"127.0.0.1:"
            + ports.mesh()
            + "\"\ndeliver_module = \""
            + PROBE
            + "\"\ndeliver_method = \"echo\"\nannounce_interval_ms = 5000\n");
    m.put(
        LIGHTNING,
        head
            + "provider = \"onchain\"\n"
            + "# confirmations of the paying transaction before a payment counts as settled\n"
            + "confirmations = 1\n");
    m.put(
        PROBE,
        head
            + "log_echo = true\n"
            + "calls_on_block = [{ target = \""
            + MESH_A
            + "\", method = \"route_packet\", params = { destination = \"node-b\","
            + " payload = { from = \""
            + PROBE
            + "\" }, ttl = 4 } }]\n");
    return m;
  }
}
