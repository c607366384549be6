package org.blvm.node.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;

/**
 * What the demo writes into its home: a dev signing key (the secret half in {@code keys/dev.key},
 * mode 0600, unencrypted, never printed), a commented policy trusting exactly that key, a node
 * config, and the example modules signed with the key, as an operator's node would have them.
 */
final class DemoLayout {
  /** The capabilities the example module declares, and the policy's defaults allow. */
  static final String CAPABILITIES =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\"";

  /** blvm-lightning's name, and the capabilities its manifest declares (docs/modules.md). */
  static final String LIGHTNING = "blvm-lightning";

  static final String LIGHTNING_CAPABILITIES =
      "\"read_blockchain\", \"read_mempool\", \"subscribe_events\", \"publish_events\"";

  private DemoLayout() {}

  /**
   * Writes the layout into {@code home} (prepared by {@link DemoHome}); returns the module names.
   */
  static List<String> write(Path home, Path moduleJar, int modules, SecureRandom random)
      throws IOException {
    return write(home, moduleJar, modules, null, random);
  }

  /**
   * {@link #write(Path, Path, int, SecureRandom)}, and with {@code lightning} (a built module
   * directory: its manifest and jar, or null) blvm-lightning too, which is not in the returned
   * names.
   */
  static List<String> write(
      Path home, Path moduleJar, int modules, Path lightning, SecureRandom random)
      throws IOException {
    NodePaths p = NodePaths.home(home);
    Path keys = Files.createDirectories(home.resolve("keys"));
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
    try (MinisignSecretKey key = MinisignSecretKey.generate(random)) {
      Path secret = keys.resolve("dev.key");
      Files.createFile(
          secret,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(secret, key.encode(null, null, random), StandardCharsets.UTF_8);
      Files.writeString(keys.resolve("dev.pub"), key.publicKey().fileContent());
      Files.writeString(p.policy(), policy(key, home, lightning != null));
      Files.writeString(p.config(), nodeConfig(home, lightning != null));
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= modules; i++) {
        String name = "block-reporter-" + i;
        module(p.modules().resolve(name), name, moduleJar, key);
        names.add(name);
      }
      if (lightning != null) {
        Path dir = Files.createDirectories(p.modules().resolve(LIGHTNING));
        for (String f : List.of("module.toml", "blvm-lightning.jar")) {
          Files.copy(lightning.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        ModuleSigner.sign(dir, key, null, true);
        Files.writeString(p.modules().resolve(LIGHTNING + ".toml"), lightningConfig(home));
      }
      return names;
    } catch (KeyFormatException | AdmissionException e) {
      throw new IOException("cannot lay out the demo: " + e.getMessage(), e);
    }
  }

  private static void module(Path dir, String name, Path jar, MinisignSecretKey key)
      throws IOException, AdmissionException {
    Files.createDirectories(dir);
    Files.copy(jar, dir.resolve("module.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("module.toml"),
        String.join(
            "\n",
            "name = \"" + name + "\"",
            "version = \"0.1.0\"",
            "description = \"Reports every block it sees, after fetching it with get_block\"",
            "runtime = \"java\"",
            "entry = \"module.jar\"",
            "capabilities = [" + CAPABILITIES + "]",
            "provides = [\"echo\", \"call_back\"]",
            "publishes = [\"test.block_seen\"]",
            ""));
    ModuleSigner.sign(dir, key, null, true);
  }

  /** The demo's policy, commented for an operator who wants to try a reload. */
  static String policy(MinisignSecretKey key, Path home, boolean lightning) {
    String section =
        !lightning
            ? ""
            : String.join(
                "\n",
                "",
                "# blvm-lightning gets exactly what its manifest declares and nothing else: chain and",
                "# mempool reads with their events (read_blockchain, read_mempool), subscriptions, and",
                "# publishing its own lightning.payment_* topics (publish_events). It serves no method",
                "# (no register_module_api) and calls no module.",
                "[modules." + LIGHTNING + "]",
                "capabilities = [" + LIGHTNING_CAPABILITIES + "]",
                "");
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
            "# What a module may be granted: what its manifest declares and this list allows.",
            "[defaults]",
            "capabilities = [" + DemoLayout.CAPABILITIES + "]",
            "# A declared capability not in the list refuses the module; \"drop\" runs it without.",
            "on_disallowed_capability = \"reject\"",
            "",
            "# A module that crashes is restarted, with a backoff, at most 5 times in 10 minutes.",
            "[defaults.restart]",
            "mode = \"on_failure\"",
            "max_restarts = 5",
            "window_seconds = 600",
            "")
        + section;
  }

  /**
   * blvm-lightning's config file (docs/config.md, module config files): what {@code
   * [modules.blvm-lightning]} in the node config would hold.
   */
  static String lightningConfig(Path home) {
    return String.join(
        "\n",
        "# blvm-lightning's own settings (docs/modules.md), the same as a [modules.blvm-lightning]",
        "# section of node.toml would be (only one of the two may exist). Edit and save: the node",
        "# reloads it and sends the module ConfigLoaded (or: bin/blvm-loader config reload --home "
            + home
            + ").",
        "provider = \"onchain\"",
        "# confirmations of the paying transaction before a payment counts as settled",
        "confirmations = 1",
        "");
  }

  /**
   * The demo's node config: a block every 2 s on average, and with blvm-lightning frequent payment
   * requests that are paid within seconds.
   */
  static String nodeConfig(Path home, boolean lightning) {
    String payments =
        !lightning
            ? ""
            : String.join(
                "\n",
                "# Payment requests for blvm-lightning to watch: one every 3 s, paid after 2 s on",
                "# average (or never, one in five), expiring after 60 s.",
                "payment_requests_per_minute = 20",
                "payment_delay_seconds = 2",
                "payment_expiry_seconds = 60",
                "");
    return String.join(
        "\n",
        "# The demo's node config (docs/config.md), written by blvm-node --demo. Reload it with",
        "#   bin/blvm-loader config reload --home " + home,
        "",
        "# The simulated chain (docs/simulation.md: every key, its default and range).",
        "[simulation]",
        "block_interval_seconds = 2",
        payments,
        "# A module's own section: it sees this in its welcome and in ConfigLoaded.",
        "[modules.block-reporter-1]",
        "greeting = \"hello from the node config\"",
        "",
        lightning
            ? "# blvm-lightning's settings are in its own file, modules/" + LIGHTNING + ".toml.\n"
            : "");
  }
}
