package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blvm.tests.embedding.EmbeddedNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/embedding.md shows {@code EmbeddedNode.java} exactly as it is compiled here, and that code
 * runs: in its own JVM, with a real policy file, a signed module and the sandbox, it starts the
 * module, publishes blocks the module reports, reloads the policy and stops cleanly.
 */
class EmbeddingDocIT {
  private static final Path SOURCE =
      Path.of("src", "test", "java", "org", "blvm", "tests", "embedding", "EmbeddedNode.java");

  @TempDir Path tmp;

  @Test
  void embeddingDoc_showsTheCompiledSourceVerbatim() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "embedding.md"));
    String source = Files.readString(SOURCE);
    int start = doc.indexOf("```java\n");
    assertTrue(start >= 0, "docs/embedding.md has no java block");
    int end = doc.indexOf("```\n", start + 8);
    assertEquals(
        source,
        doc.substring(start + "```java\n".length(), end),
        "the java block of docs/embedding.md must be " + SOURCE + ", byte for byte");
  }

  @Test
  void embeddedNode_runs_startsReportsReloadsAndStops() throws Exception {
    SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "reporter", SandboxFixture.CAPS, "");
    Path policy = tmp.resolve("policy.toml");
    Files.writeString(
        policy,
        ModuleFixture.policyText("[defaults]\ncapabilities = [" + SandboxFixture.CAPS + "]\n"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    NodeProcess.Cli r =
        NodeProcess.run(
            List.of(
                java.toString(),
                "-XX:-UsePerfData",
                "-cp",
                System.getProperty("java.class.path"),
                EmbeddedNode.class.getName(),
                policy.toString(),
                modules.toString(),
                tmp.resolve("state").toString(),
                tmp.resolve("data").toString(),
                tmp.resolve("run").toString()),
            tmp);
    assertEquals(0, r.code(), r.toString());
    List<String> out = r.out().lines().toList();
    assertTrue(out.contains("state reporter SUBSCRIBED -> STARTED"), r.toString());
    assertEquals(
        3, out.stream().filter(l -> l.equals("module event reporter test.block_seen")).count());
    assertTrue(out.contains("policy reload stopped []"), r.toString());
    assertTrue(out.contains("state reporter STOPPING -> STOPPED"), r.toString());
    assertEquals("stopped", out.get(out.size() - 1), r.toString());
  }
}
