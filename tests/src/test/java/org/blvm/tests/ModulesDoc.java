package org.blvm.tests;

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

/** The blocks of docs/modules.md next to the real files they show (the doc tests' reader). */
final class ModulesDoc {
  private static final Path DOC = Path.of("..", "docs", "modules.md");

  private ModulesDoc() {}

  /** The first {@code toml} block after {@code marker} in the section {@code ## module}. */
  static String block(String module, String marker) throws IOException {
    String doc = Files.readString(DOC);
    int section = doc.indexOf("\n## " + module + "\n");
    assertTrue(section >= 0, () -> "docs/modules.md has a " + module + " section");
    int at = doc.indexOf(marker, section);
    assertTrue(at >= 0, () -> "the " + module + " section has " + marker);
    int start = doc.indexOf("```toml\n", at) + "```toml\n".length();
    int end = doc.indexOf("```", start);
    return doc.substring(start, end);
  }

  static Path manifest(String module) {
    return Path.of("..", "modules", module, "src", "main", "module", "module.toml");
  }

  /** The module's {@code module.toml} without its comment and blank lines. */
  static String manifestLessComments(String module) throws IOException {
    return Files.readAllLines(manifest(module)).stream()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  static Set<String> manifestCapabilities(String module) throws IOException {
    JsonNode m = new TomlMapper().readTree(Files.readString(manifest(module)));
    Set<String> caps = new TreeSet<>();
    m.get("capabilities").forEach(c -> caps.add(c.asText()));
    return caps;
  }

  /** The section's policy block, parsed by the node's policy parser under a trusted key. */
  static Policy policyBlock(String module) throws Exception {
    String text = ModuleFixture.policyHeader() + block(module, "**Policy section.**");
    return Policy.parse("docs/modules.md", text.getBytes(StandardCharsets.UTF_8));
  }

  static Set<String> granted(ModulePolicy p) {
    return p.capabilities().stream()
        .map(Capability::wireName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** A test's capability list as written in its policy text ({@code "a", "b"}). */
  static Set<String> listed(String caps) {
    return Arrays.stream(caps.split(","))
        .map(c -> c.strip().replace("\"", ""))
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
