package org.blvm.loader;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz target (Jazzer) for the node's TOML config, {@link NodeConfig#parse}. Every
 * input starts with a line holding a secret value; the fuzzer's bytes follow. Invariants: only
 * {@link NodeConfigException} escapes, with the file, a line within the file (0 when unknown) and a
 * problem; no message quotes the secret value, whatever the rest of the file does to it (the
 * exception's documented promise; messages do name keys, so the check is off when the fuzzer's
 * bytes hold the secret's text themselves, e.g. as a module name); a parsed config answers for
 * every module section and compares with another config.
 *
 * <p>Regression inputs (the bytes after the secret line): {@code
 * src/test/resources/org/blvm/loader/NodeConfigFuzzTestInputs/parse/}; {@code fuzz/run} fuzzes it
 * with libFuzzer's limit of 1 s per input.
 */
final class NodeConfigFuzzTest {
  private static final Path FILE = Path.of("fuzz", "node.toml");
  private static final String SECRET = "s3cr3t-Vx9q";
  private static final byte[] SECRET_LINE = ("rpc_password = \"" + SECRET + "\"\n").getBytes(UTF_8);

  @MethodSource("seeds")
  @FuzzTest
  void parse(byte[] input) {
    byte[] bytes = new byte[SECRET_LINE.length + input.length];
    System.arraycopy(SECRET_LINE, 0, bytes, 0, SECRET_LINE.length);
    System.arraycopy(input, 0, bytes, SECRET_LINE.length, input.length);
    NodeConfig config;
    try {
      config = NodeConfig.parse(FILE, bytes);
    } catch (NodeConfigException e) {
      assertEquals(FILE, e.file());
      if (e.problem() == null || e.problem().isBlank()) {
        fail("NodeConfigException without a problem", e);
      }
      long lines = new String(bytes, UTF_8).split("\n", -1).length;
      assertTrue(e.line() >= 0 && e.line() <= lines, "line " + e.line() + " of " + lines);
      if (!new String(input, UTF_8).contains(SECRET)) { // else it may be a key, which is named
        assertFalse(e.getMessage().contains(SECRET), "the message quotes the secret: " + e);
      }
      return;
    }
    JsonNode modules = config.section(NodeConfig.MODULES);
    if (modules != null) {
      for (Iterator<String> it = modules.fieldNames(); it.hasNext(); ) {
        assertTrue(config.moduleSection(it.next()) != null, "a module section is not a table");
      }
    }
    List<String> changed = config.changedSections(NodeConfig.empty());
    assertEquals(changed, NodeConfig.empty().changedSections(config), "changes are not symmetric");
    assertTrue(config.changedSections(config).isEmpty(), "a config differs from itself");
  }

  static Stream<byte[]> seeds() {
    String full =
        "[network]\nlisten = \"0.0.0.0:8333\"\nproxy_password = \"hunter2\"\n"
            + "peers = [\"203.0.113.5:8333\", \"198.51.100.7:8333\"]\n"
            + "[rpc]\nport = 8332\ntimeout_ms = 2500\nratio = 0.75\nenabled = true\n"
            + "[modules.lightning]\nalias = \"node-1\"\nfees = { base_msat = 1000, ppm = 10 }\n"
            + "[modules.fee-watch]\nalerts = [25, 50]\n"
            + "[[peers]]\nhost = \"a\"\n[[peers]]\nhost = \"b\"\n";
    return Stream.of(full, "", "modules = 3\n", "[modules]\nx = 1\n").map(s -> s.getBytes(UTF_8));
  }
}
