package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModuleManifestTest {
  private static final Path FILE = Path.of("module.toml");
  private static final String VALID =
      "name = \"fee-watch\"\n"
          + "version = \"1.2.3\"\n"
          + "description = \"watches fees\"\n"
          + "runtime = \"java\"\n"
          + "entry = \"fee-watch.jar\"\n"
          + "main_class = \"org.example.FeeWatch\"\n"
          + "capabilities = [\"read_mempool\", \"subscribe_events\"]\n"
          + "provides = [\"current_fee\"]\n"
          + "[config]\n"
          + "threshold = 5\n";

  private static ModuleManifest parse(String toml) throws ManifestException {
    return ModuleManifest.parse(FILE, toml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_valid_allFields() throws Exception {
    ModuleManifest m = parse(VALID);
    assertEquals("fee-watch", m.name());
    assertEquals("1.2.3", m.version());
    assertEquals(ModuleManifest.Runtime.JAVA, m.runtime());
    assertEquals("fee-watch.jar", m.entry());
    assertEquals("org.example.FeeWatch", m.mainClass());
    assertEquals(Set.of(Capability.READ_MEMPOOL, Capability.SUBSCRIBE_EVENTS), m.capabilities());
    assertEquals(List.of("current_fee"), m.provides());
    assertEquals(5, m.config().get("threshold").asInt());
  }

  @Test
  void parse_minimal_defaults() throws Exception {
    ModuleManifest m =
        parse("name = \"a\"\nversion = \"0.0.1\"\nruntime = \"native\"\nentry = \"a\"\n");
    assertTrue(m.capabilities().isEmpty());
    assertTrue(m.provides().isEmpty());
    assertTrue(m.config().isEmpty());
    assertNull(m.mainClass());
  }

  @Test
  void config_isCopiedOnAccess() throws Exception {
    ModuleManifest m = parse(VALID);
    ((com.fasterxml.jackson.databind.node.ObjectNode) m.config()).put("threshold", 99);
    assertEquals(5, m.config().get("threshold").asInt());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown key | admin = true | admin",
        "missing name | name = | name",
        "name with capitals | name = \"Fee\" | name",
        "name with slash | name = \"../x\" | name",
        "bad version | version = \"1.2\" | version",
        "version leading zero | version = \"01.2.3\" | version",
        "pre-release over 64 characters | version = \"1.0.0-rc.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" | version",
        "unknown runtime | runtime = \"python\" | runtime",
        "entry with path | entry = \"../../bin/sh\" | entry",
        "entry dot dot | entry = \"..\" | entry",
        "bad main class | main_class = \"x y\" | main_class",
        "unknown capability | capabilities = [\"root\"] | capabilities",
        "duplicate capability | capabilities = [\"read_mempool\", \"read_mempool\"] | capabilities",
        "capabilities not a list | capabilities = \"read_mempool\" | capabilities",
        "capability not a string | capabilities = [1] | capabilities",
        "bad provided method | provides = [\"Bad-Name\"] | provides",
        "duplicate provided method | provides = [\"a\", \"a\"] | provides",
        "name wrong type | name = 5 | name",
      })
  void parse_invalid_errorNamesKey(String label, String replacement, String key) {
    String toml = replace(VALID, replacement);
    ManifestException e = assertThrows(ManifestException.class, () -> parse(toml), label);
    assertEquals(key, e.key(), label + ": " + e.getMessage());
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void subscribes_catalogTypesOnly_eachOnce() throws Exception {
    String withSubscribes =
        VALID.replace(
            "[config]", "subscribes = [\"NewBlock\", \"MempoolTransactionAdded\"]\n[config]");
    assertEquals(
        List.of("NewBlock", "MempoolTransactionAdded"), parse(withSubscribes).subscribes());
    assertEquals(List.of(), parse(VALID).subscribes());
    for (String bad :
        List.of(
            "[\"NoSuchEvent\"]",
            "[\"fee.changed\"]",
            "[\"ConfigLoaded\"]",
            "[\"EventsDropped\"]",
            "[\"NewBlock\", \"NewBlock\"]",
            "\"NewBlock\"")) {
      ManifestException e =
          assertThrows(
              ManifestException.class,
              () -> parse(VALID.replace("[config]", "subscribes = " + bad + "\n[config]")),
              bad);
      assertEquals("subscribes", e.key(), bad);
    }
  }

  @Test
  void parse_mainClassWithNativeRuntime_refused() {
    ManifestException e =
        assertThrows(
            ManifestException.class,
            () -> parse(VALID.replace("runtime = \"java\"", "runtime = \"native\"")));
    assertEquals("main_class", e.key());
  }

  @Test
  void parse_configNotATable_refused() {
    ManifestException e =
        assertThrows(
            ManifestException.class,
            () ->
                parse(
                    "name = \"a\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"a\"\nconfig = 3\n"));
    assertEquals("config", e.key());
  }

  @Test
  void parse_duplicateKey_refused() {
    ManifestException e =
        assertThrows(ManifestException.class, () -> parse("name = \"other\"\n" + VALID));
    assertTrue(e.getMessage().contains("TOML"), e.getMessage());
  }

  @Test
  void parse_notToml_refused() {
    ManifestException e = assertThrows(ManifestException.class, () -> parse("name = = ="));
    assertNull(e.key());
    assertTrue(e.getMessage().contains("not valid TOML"), e.getMessage());
  }

  @Test
  void read_oversized_refusedBeforeParsing(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("module.toml");
    Files.writeString(f, VALID + "#" + "x".repeat(ModuleManifest.MAX_BYTES));
    ManifestException e = assertThrows(ManifestException.class, () -> ModuleManifest.read(f));
    assertTrue(e.getMessage().contains("larger than"), e.getMessage());
  }

  @Test
  void read_symlink_refused(@TempDir Path dir) throws Exception {
    Path real = dir.resolve("real.toml");
    Files.writeString(real, VALID);
    Path link = Files.createSymbolicLink(dir.resolve("module.toml"), real);
    ManifestException e = assertThrows(ManifestException.class, () -> ModuleManifest.read(link));
    assertTrue(e.getMessage().contains("symlink"), e.getMessage());
  }

  /** Replaces the line with the same key as {@code line}, or appends it at the top. */
  private static String replace(String toml, String line) {
    String key = line.split("=")[0].trim();
    StringBuilder out = new StringBuilder();
    boolean done = false;
    for (String l : toml.split("\n")) {
      if (!done && l.startsWith(key + " =")) {
        out.append(line.endsWith("=") ? "" : line).append('\n');
        done = true;
      } else {
        out.append(l).append('\n');
      }
    }
    return done ? out.toString() : line + "\n" + out;
  }

  @Test
  void parse_configNestedDeeperThanTheBound_refusedNotStackOverflow() {
    // 64 KiB of dotted table levels under [config]: the record's deepCopy of the config overflowed
    // the stack (a StackOverflowError out of parse, and out of ModuleManager.start)
    StringBuilder toml = new StringBuilder(VALID).append("\n[config");
    while (toml.length() < ModuleManifest.MAX_BYTES - 8) {
      toml.append(".a");
    }
    toml.append("]\n");
    ManifestException e = assertThrows(ManifestException.class, () -> parse(toml.toString()));
    assertTrue(e.getMessage().contains("nested deeper than " + TomlDepth.MAX), e.getMessage());
  }
}
