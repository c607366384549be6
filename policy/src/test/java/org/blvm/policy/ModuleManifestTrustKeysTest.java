package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The manifest keys added for signing: [binary], publishes, dependencies, sandbox_profile. */
class ModuleManifestTrustKeysTest {
  private static final Path FILE = Path.of("module.toml");
  private static final String HEX = "ab".repeat(32);
  private static final String BASE =
      "name = \"fee-watch\"\nversion = \"1.2.3\"\nruntime = \"native\"\nentry = \"fw\"\n";

  private static ModuleManifest parse(String toml) throws ManifestException {
    return ModuleManifest.parse(FILE, toml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_allTrustKeys_frozenIntoValues() throws Exception {
    ModuleManifest m =
        parse(
            BASE
                + "publishes = [\"fee_watch.alert\"]\nsandbox_profile = \"strict\"\n"
                + "[dependencies]\nlightning = \">=1.0.0, <2.0.0\"\n"
                + "[binary]\nsha256 = \""
                + HEX
                + "\"\nsize = 1234\n");

    assertEquals(new BinaryPin(Sha256.parse(HEX), 1234), m.binary());
    assertEquals(List.of("fee_watch.alert"), m.publishes());
    assertEquals("strict", m.sandboxProfile());
    Dependency d = m.dependency("lightning").orElseThrow();
    assertTrue(d.range().contains(SemVer.parse("1.9.0")));
    assertFalse(d.range().contains(SemVer.parse("2.0.0")));
    assertFalse(d.range().contains(SemVer.parse("0.9.9")));
  }

  @Test
  void parse_dependencyTable_optionalAndRequired() throws Exception {
    ModuleManifest m =
        parse(
            BASE
                + "[dependencies]\nmesh = {version = \">=0.1.0\", optional = true}\n"
                + "store = {version = \"=1.2.3\"}\nlightning = \"1.0.0\"\n");

    assertTrue(m.dependency("mesh").orElseThrow().optional());
    assertFalse(m.dependency("store").orElseThrow().optional());
    assertFalse(m.dependency("lightning").orElseThrow().optional());
    assertTrue(m.dependency("store").orElseThrow().range().contains(SemVer.parse("1.2.3")));
    assertEquals("mesh >=0.1.0 (optional)", m.dependency("mesh").orElseThrow().toString());
  }

  @Test
  void parse_noPin_binaryIsNull() throws Exception {
    assertNull(parse(BASE).binary());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "pin not a table | binary = 5 | binary",
        "pin unknown key | [binary]\\nsha256 = \"HEX\"\\nsize = 1\\nmode = 1 | binary.mode",
        "pin upper hex | [binary]\\nsha256 = \"UPPER\"\\nsize = 1 | binary.sha256",
        "pin short hex | [binary]\\nsha256 = \"abcd\"\\nsize = 1 | binary.sha256",
        "pin missing size | [binary]\\nsha256 = \"HEX\" | binary.size",
        "pin negative size | [binary]\\nsha256 = \"HEX\"\\nsize = -1 | binary.size",
        "pin string size | [binary]\\nsha256 = \"HEX\"\\nsize = \"1\" | binary.size",
        "core event published | publishes = [\"NewBlock\"] | publishes",
        "undotted topic | publishes = [\"alert\"] | publishes",
        "duplicate topic | publishes = [\"a.b\", \"a.b\"] | publishes",
        "bad range | [dependencies]\\nlightning = \">>1\" | dependencies.lightning",
        "self dependency | [dependencies]\\nfee-watch = \"1.0.0\" | dependencies.fee-watch",
        "range not string | [dependencies]\\nlightning = 1 | dependencies.lightning",
        "table unknown key | [dependencies]\\nln = {version = \"1.0.0\", when = 1} | dependencies.ln.when",
        "table no version | [dependencies]\\nln = {optional = true} | dependencies.ln.version",
        "optional not bool | [dependencies]\\nln = {version = \"1.0.0\", optional = 1} | dependencies.ln.optional",
        "table bad range | [dependencies]\\nln = {version = \"<<1\"} | dependencies.ln",
        "bad profile | sandbox_profile = \"../x\" | sandbox_profile",
        "build metadata | version = \"1.0.0+build\" | version",
      })
  void parse_invalid_errorNamesKey(String label, String extra, String key) {
    String toml =
        (extra.startsWith("version") ? BASE.replace("version = \"1.2.3\"\n", "") : BASE)
            + extra.replace("\\n", "\n").replace("UPPER", HEX.toUpperCase()).replace("HEX", HEX)
            + "\n";

    ManifestException e = assertThrows(ManifestException.class, () -> parse(toml), label);

    assertEquals(key, e.key(), label + ": " + e.getMessage());
  }

  @Test
  void parse_syntaxError_namesLine() {
    ManifestException e = assertThrows(ManifestException.class, () -> parse(BASE + "x = [1,,2]\n"));

    assertTrue(e.getMessage().contains("line 5"), e.getMessage());
  }

  @Test
  void semVer_precedence_followsSemver2() {
    List<String> ordered =
        List.of(
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
            "2.0.0");
    for (int i = 1; i < ordered.size(); i++) {
      assertTrue(
          SemVer.parse(ordered.get(i - 1)).compareTo(SemVer.parse(ordered.get(i))) < 0,
          ordered.get(i - 1) + " < " + ordered.get(i));
    }
  }
}
