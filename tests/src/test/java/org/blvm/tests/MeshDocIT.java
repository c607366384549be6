package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;

/**
 * docs/modules.md's blvm-mesh blocks against the real files: the manifest block is the module's
 * {@code module.toml} less its comments, and the policy block parses with the node's policy parser
 * and grants blvm-mesh exactly the manifest's capabilities, the set {@link MeshNodeIT}'s policies
 * start from.
 */
class MeshDocIT {
  private static final Path DOC = Path.of("..", "docs", "modules.md");
  private static final Path MANIFEST =
      Path.of("..", "modules", "blvm-mesh", "src", "main", "module", "module.toml");

  /** The first {@code toml} block after {@code marker} in the blvm-mesh section. */
  private static String block(String marker) throws IOException {
    String doc = Files.readString(DOC);
    int section = doc.indexOf("\n## blvm-mesh\n");
    assertTrue(section >= 0, "docs/modules.md has a blvm-mesh section");
    int at = doc.indexOf(marker, section);
    assertTrue(at >= 0, () -> "the blvm-mesh section has " + marker);
    int start = doc.indexOf("```toml\n", at) + "```toml\n".length();
    int end = doc.indexOf("```", start);
    return doc.substring(start, end);
  }

  private static Set<String> manifestCapabilities() throws IOException {
    JsonNode m = new TomlMapper().readTree(Files.readString(MANIFEST));
    Set<String> caps = new TreeSet<>();
    m.get("capabilities").forEach(c -> caps.add(c.asText()));
    return caps;
  }

  @Test
  void manifestBlock_isTheModulesManifestLessItsComments() throws IOException {
    String real =
        Files.readAllLines(MANIFEST).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#"))
            .collect(Collectors.joining("\n", "", "\n"));

    assertEquals(real, block("**Manifest**"));
  }

  @Test
  void policyBlock_parses_grantsTheManifestsCapabilities_asMeshNodeItDoes() throws Exception {
    String text = ModuleFixture.policyHeader() + block("**Policy section.**");
    Policy p = Policy.parse("docs/modules.md", text.getBytes(StandardCharsets.UTF_8));

    ModulePolicy mesh = p.forModule("blvm-mesh");
    Set<String> granted =
        mesh.capabilities().stream()
            .map(Capability::wireName)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> used =
        Arrays.stream(MeshNodeIT.CAPS.split(","))
            .map(c -> c.strip().replace("\"", ""))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(manifestCapabilities(), granted, "the doc's policy grants the manifest's");
    assertEquals(manifestCapabilities(), used, "MeshNodeIT's policies start from the manifest's");
    assertEquals(Set.of("mesh-receiver"), mesh.callableModules());
    assertFalse(mesh.network().connect().isEmpty(), "a connect rule for the peers");
    assertTrue(
        p.forModule("mesh-sender").callableModules().contains("blvm-mesh"),
        "a module routing through it may call it");
  }
}
