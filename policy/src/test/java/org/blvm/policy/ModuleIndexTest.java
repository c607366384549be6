package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleIndexTest {
  private static final Path FILE = Path.of("mirror", "index.toml");
  private static final String SHA = "ab".repeat(32);

  private static String index(String entry) {
    return "name = \"main\"\nversion = 3\nexpires = \"2027-01-01T00:00:00Z\"\n"
        + "[[modules]]\nname = \"fee-watch\"\nversion = \"1.2.0\"\n"
        + entry;
  }

  private static ModuleIndex parse(String text) throws IndexException {
    return ModuleIndex.parse(FILE, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void parse_wellFormed_readsEveryField_andToTomlReadsBack() throws Exception {
    ModuleIndex ix =
        parse(index("path = \"fee-watch-1.2.0\"\nsha256 = \"" + SHA + "\"\ndescription = \"x\"\n"));

    assertEquals("main", ix.name());
    assertEquals(3, ix.version());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), ix.expires());
    ModuleIndex.Entry e = ix.entries().get(0);
    assertEquals("fee-watch", e.name());
    assertEquals("1.2.0", e.version().toString());
    assertEquals("fee-watch-1.2.0", e.path());
    assertEquals(SHA, e.sha256().hex());
    assertEquals(ix, parse(ix.toToml()));
    assertEquals(
        "blvm-index/1 name=main version=3 expires=2027-01-01T00:00:00Z", ix.trustedComment());
  }

  @Test
  void parse_unknownKeyInEntry_refusedNamingModuleVersionAndKey() {
    IndexException e =
        assertThrows(
            IndexException.class,
            () -> parse(index("path = \"p\"\nsha256 = \"" + SHA + "\"\nurl = \"http://x\"\n")));

    assertEquals(IndexException.Rule.MALFORMED, e.rule());
    assertEquals("fee-watch", e.module());
    assertEquals("1.2.0", e.version());
    assertTrue(e.getMessage().contains("modules[0].url\": unknown key"), e.getMessage());
    assertTrue(
        e.getMessage().startsWith(FILE + ": module fee-watch 1.2.0: malformed index"),
        e.getMessage());
  }

  @Test
  void parse_unknownTopLevelKey_refused() {
    IndexException e =
        assertThrows(IndexException.class, () -> parse("mirror = \"x\"\n" + index("")));

    assertEquals(IndexException.Rule.MALFORMED, e.rule());
    assertNull(e.module());
    assertTrue(e.getMessage().contains("\"mirror\": unknown key"), e.getMessage());
  }

  @Test
  void parse_traversalOrAbsolutePath_refusedAsPathNamingModuleAndVersion() {
    for (String p :
        List.of("../fee-watch", "a/../../b", "/etc/blvm", "a//b", "./a", "a\\\\b", "")) {
      IndexException e =
          assertThrows(
              IndexException.class,
              () -> parse(index("path = \"" + p + "\"\nsha256 = \"" + SHA + "\"\n")),
              p);

      assertEquals(IndexException.Rule.PATH, e.rule(), p);
      assertEquals("fee-watch", e.module(), p);
      assertEquals("1.2.0", e.version(), p);
    }
  }

  @Test
  void parse_notToml_duplicateKey_wrongType_refusedAsMalformed() {
    for (String text :
        List.of(
            "name = \"main\"\nversion = \n",
            "name = \"main\"\nname = \"other\"\nversion = 1\nexpires = \"2027-01-01T00:00:00Z\"\n",
            "name = \"main\"\nversion = \"1\"\nexpires = \"2027-01-01T00:00:00Z\"\n",
            "name = \"main\"\nversion = 0\nexpires = \"2027-01-01T00:00:00Z\"\n",
            "name = \"main\"\nversion = 1\nexpires = \"next year\"\n",
            index("path = \"p\"\nsha256 = \"xyz\"\n"),
            index("path = \"p\"\nsha256 = \"" + SHA + "\"\n")
                + "[[modules]]\nname = \"fee-watch\"\n"
                + "version = \"1.2.0\"\npath = \"q\"\nsha256 = \""
                + SHA
                + "\"\n")) {
      IndexException e = assertThrows(IndexException.class, () -> parse(text), text);
      assertEquals(IndexException.Rule.MALFORMED, e.rule(), text);
    }
  }

  @Test
  void parse_oversized_refusedBeforeParsing() {
    byte[] big = new byte[ModuleIndex.MAX_BYTES + 1];
    java.util.Arrays.fill(big, (byte) '#');

    IndexException e = assertThrows(IndexException.class, () -> ModuleIndex.parse(FILE, big));

    assertEquals(IndexException.Rule.TOO_LARGE, e.rule());
  }
}
