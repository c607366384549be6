package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The manifest keys of multi-file and interpreted modules: [files], args, python3 and node. */
class ModuleManifestFilesTest {
  private static final Path FILE = Path.of("module.toml");
  private static final String A = "aa".repeat(32);
  private static final String B = "bb".repeat(32);
  private static final String BASE =
      "name = \"py\"\nversion = \"1.0.0\"\nruntime = \"python3\"\nentry = \"main.py\"\n";

  private static ModuleManifest parse(String toml) throws ManifestException {
    return ModuleManifest.parse(FILE, toml.getBytes(StandardCharsets.UTF_8));
  }

  private static String files(String... lines) {
    return "[files]\n" + String.join("\n", lines) + "\n";
  }

  @Test
  void parse_filesTable_everyPathPinnedSortedAndTheEntryAmongThem() throws Exception {
    ModuleManifest m =
        parse(
            BASE
                + "args = [\"--verbose\", \"\"]\n"
                + files(
                    "\"main.py\" = { sha256 = \"" + A + "\", size = 10 }",
                    "\"lib/blvm.py\" = { sha256 = \"" + B + "\", size = 2000 }"));

    assertSame(ModuleManifest.Runtime.PYTHON3, m.runtime());
    assertTrue(m.runtime().interpreted());
    assertEquals(List.of("lib/blvm.py", "main.py"), List.copyOf(m.files().pins().keySet()));
    assertEquals(new BinaryPin(Sha256.parse(B), 2000), m.files().pin("lib/blvm.py").get());
    assertEquals(m.files(), m.tree());
    assertNull(m.binary());
    assertEquals(List.of("--verbose", ""), m.args());
  }

  @Test
  void parse_olderBinaryPin_treeIsTheEntryAlone() throws Exception {
    ModuleManifest m = parse(BASE + "[binary]\nsha256 = \"" + A + "\"\nsize = 3\n");

    assertNull(m.files());
    assertEquals(ModuleFiles.single("main.py", new BinaryPin(Sha256.parse(A), 3)), m.tree());
  }

  @Test
  void parse_nodeRuntimeAndNestedEntry() throws Exception {
    ModuleManifest m =
        parse(
            "name = \"js\"\nversion = \"1.0.0\"\nruntime = \"node\"\nentry = \"src/index.js\"\n"
                + files("\"src/index.js\" = { sha256 = \"" + A + "\", size = 1 }"));

    assertSame(ModuleManifest.Runtime.NODE, m.runtime());
    assertEquals("src/index.js", m.entry());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "entry not in files | \"other.py\" = { sha256 = \"A\", size = 1 } | entry",
        "escaping path | \"../x.py\" = { sha256 = \"A\", size = 1 } | files.../x.py",
        "absolute path | \"/etc/passwd\" = { sha256 = \"A\", size = 1 } | files./etc/passwd",
        "empty segment | \"lib//x.py\" = { sha256 = \"A\", size = 1 } | files.lib//x.py",
        "space in name | \"read me\" = { sha256 = \"A\", size = 1 } | files.read me",
        "the manifest itself | \"module.toml\" = { sha256 = \"A\", size = 1 } | files.module.toml",
        "a signature | \"module.toml.minisig\" = { sha256 = \"A\", size = 1 }"
            + " | files.module.toml.minisig",
        "unquoted dotted key | main.py = { sha256 = \"A\", size = 1 } | files.main.py",
        "pin not a table | \"main.py\" = 3 | files.main.py",
        "unknown pin key | \"main.py\" = { sha256 = \"A\", size = 1, mode = 1 } | files.main.py.mode",
        "bad digest | \"main.py\" = { sha256 = \"xyz\", size = 1 } | files.main.py.sha256",
        "negative size | \"main.py\" = { sha256 = \"A\", size = -1 } | files.main.py.size",
      })
  void parse_badFiles_refusedNamingTheKey(String what, String line, String key) {
    String toml =
        BASE
            + files(
                line.replace("\"A\"", "\"" + A + "\""),
                line.contains("main.py") || line.contains("other.py")
                    ? ""
                    : "\"main.py\" = { sha256 = \"" + A + "\", size = 1 }");

    ManifestException e = assertThrows(ManifestException.class, () -> parse(toml), what);

    assertEquals(key, e.key(), e.getMessage());
  }

  @Test
  void parse_fileAlsoADirectory_refused() {
    ManifestException e =
        assertThrows(
            ManifestException.class,
            () ->
                parse(
                    BASE
                        + files(
                            "\"main.py\" = { sha256 = \"" + A + "\", size = 1 }",
                            "\"lib\" = { sha256 = \"" + A + "\", size = 1 }",
                            "\"lib/x.py\" = { sha256 = \"" + A + "\", size = 1 }")));

    assertEquals("files", e.key());
    assertTrue(e.getMessage().contains("\"lib\" is a file and also the directory"), e.getMessage());
  }

  @Test
  void parse_bothFilesAndBinary_refused() {
    ManifestException e =
        assertThrows(
            ManifestException.class,
            () ->
                parse(
                    BASE
                        + "[binary]\nsha256 = \""
                        + A
                        + "\"\nsize = 1\n"
                        + files("\"main.py\" = { sha256 = \"" + A + "\", size = 1 }")));

    assertEquals("binary", e.key());
  }

  @Test
  void parse_tooManyFiles_refused() {
    StringBuilder sb = new StringBuilder("[files]\n");
    for (int i = 0; i <= ModuleFiles.MAX_FILES; i++) {
      sb.append("\"f").append(i).append("\" = { sha256 = \"").append(A).append("\", size = 1 }\n");
    }

    ManifestException e = assertThrows(ManifestException.class, () -> parse(BASE + sb));

    assertEquals("files", e.key());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not an array | args = \"--x\"",
        "not strings | args = [1]",
        "NUL | args = [\"a\\u0000b\"]",
      })
  void parse_badArgs_refused(String what, String line) {
    ManifestException e =
        assertThrows(ManifestException.class, () -> parse(BASE + line + "\n"), what);

    assertEquals("args", e.key());
  }

  @Test
  void parse_tooManyArgs_refused() {
    String args = "args = [" + "\"x\", ".repeat(ModuleManifest.MAX_ARGS) + "\"x\"]\n";

    ManifestException e = assertThrows(ManifestException.class, () -> parse(BASE + args));

    assertEquals("args", e.key());
  }

  @Test
  void parse_unknownRuntime_listsTheFour() {
    ManifestException e =
        assertThrows(ManifestException.class, () -> parse(BASE.replace("python3", "python2")));

    assertEquals("runtime", e.key());
    assertTrue(e.getMessage().contains("\"python3\" or \"node\""), e.getMessage());
  }
}
