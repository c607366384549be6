package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.blvm.policy.IndexBuilder;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modules installed from a signed index with the real {@code blvm-loader install} (a process of its
 * own) are admitted and run by a real {@code blvm-node}, sandboxed: one installed while the node
 * runs starts with {@code modules start}, one installed while it is stopped starts with it. Before
 * the node's first start install refuses, rather than make the state directory itself.
 */
class IndexInstallNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"register_module_api\"";

  @TempDir Path tmp;

  @Test
  void installFromIndex_thenTheNodeStartsIt() throws Exception {
    SandboxFixture.requireSandbox();
    // the sandbox user traverses the test's directory but may list nothing in it
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.createDirectories(home.resolve("modules"));
    Path mirror = Files.createDirectories(tmp.resolve("mirror"));
    ModuleFixture.install(mirror, "indexed-a", CAPS, "");
    ModuleFixture.install(mirror, "indexed-b", CAPS, "");
    MinisignSecretKey indexKey = MinisignSecretKey.generate(new SecureRandom());
    IndexBuilder.write(mirror, "main", 1, Instant.now().plusSeconds(86400), indexKey, null);
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyHeader()
            + "[defaults]\ncapabilities = ["
            + CAPS
            + "]\n[index]\n[[index.keys]]\nname = \"mirror\"\npublic_key = \""
            + indexKey.publicKey().encoded()
            + "\"\n");
    Files.writeString(
        home.resolve("node.toml"),
        "[simulation]\nblock_interval_seconds = 0.5\nreorg_probability = 0.0\n");

    // before the node's first start there is no state directory: install does not make one
    // (the node makes it with the access its sandboxes need)
    NodeProcess.Cli early = install(home, mirror, "indexed-a");
    assertEquals(3, early.code(), early.toString());
    assertTrue(early.err().contains("no such state directory"), early.toString());

    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");

      NodeProcess.Cli a = install(home, mirror, "indexed-a");
      assertEquals(0, a.code(), a.toString());
      assertTrue(a.out().startsWith("installed indexed-a 1.0.0 into "), a.toString());
      NodeProcess.Cli start = node.loader("modules", "start", "indexed-a");
      assertEquals(0, start.code(), start.toString());
      Poll.until(
          () -> "STARTED".equals(state(node, "indexed-a")),
          Duration.ofSeconds(60),
          "indexed-a STARTED");
    }

    // the next start of the node starts it with the others
    NodeProcess.Cli b = install(home, mirror, "indexed-b");
    assertEquals(0, b.code(), b.toString());
    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node2.log"))) {
      node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs again");
      Poll.until(
          () ->
              "STARTED".equals(state(node, "indexed-a"))
                  && "STARTED".equals(state(node, "indexed-b")),
          Duration.ofSeconds(60),
          "indexed-a and indexed-b STARTED");
    }
  }

  private static NodeProcess.Cli install(Path home, Path mirror, String module) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-XX:-UsePerfData", "-cp", NodeProcess.jar("blvm.loaderJar").toString()));
    cmd.addAll(List.of("org.blvm.sign.BlvmLoader", "install", module));
    cmd.addAll(List.of("--index", mirror.toString(), "--home", home.toString()));
    return NodeProcess.run(cmd, home.getParent());
  }

  /** The module's state from {@code modules list --json}, or null. */
  private static String state(NodeProcess node, String module) {
    try {
      NodeProcess.Cli r = node.loader("modules", "list", "--json");
      if (r.code() != 0) {
        return null;
      }
      for (JsonNode n : JSON.readTree(r.out()).get("modules")) {
        if (n.get("name").asText().equals(module)) {
          return n.get("state").asText();
        }
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }
}
