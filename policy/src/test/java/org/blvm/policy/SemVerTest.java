package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which versions are accepted, and that a refusal says which rule the text broke. */
class SemVerTest {

  @Test
  void parse_nineDigitNumbers_accepted() {
    SemVer v = SemVer.parse("999999999.999999999.999999999-999999999");

    assertEquals(999_999_999, v.major());
    assertEquals(999_999_999, v.patch());
    assertTrue(v.isPrerelease());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "1234567890.0.0 | has a number of more than 9 digits",
        "1.0.10000000000 | has a number of more than 9 digits",
        "1.0.0-rc.1234567890 | has a number of more than 9 digits",
        "1.0.0+build.5 | has build metadata",
        "1.2 | is not a semantic version like 1.2.3",
        "01.2.3 | is not a semantic version like 1.2.3",
        "1.2.3-rc..1 | is not a semantic version like 1.2.3",
      })
  void parse_refused_saysWhichRule(String text, String rule) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SemVer.parse(text));

    assertTrue(e.getMessage().startsWith("version \"" + text + "\" " + rule), e.getMessage());
  }

  @Test
  void problem_digitLimit_namesTheLargestNumber() {
    assertTrue(SemVer.problem("1.2.3456789012").contains("at most 999999999"));
    assertNull(SemVer.problem("1.2.345678901"));
  }

  @Test
  void problem_longPrereleaseOrText_namesTheLimit() {
    String pre = "a".repeat(65);

    assertEquals(
        "has a pre-release part (after \"-\") of more than 64 characters",
        SemVer.problem("1.0.0-" + pre));
    assertEquals("is longer than 96 characters", SemVer.problem("1.0.0-" + "a".repeat(91)));
    assertNull(SemVer.problem("1.0.0-" + "a".repeat(64)));
  }

  @Test
  void manifest_versionWithTenDigits_refusedSayingTheLimit() {
    ManifestException e =
        assertThrows(
            ManifestException.class,
            () ->
                ModuleManifest.parse(
                    Path.of("module.toml"),
                    ("name = \"a\"\nversion = \"1.0.1234567890\"\nruntime = \"native\"\n"
                            + "entry = \"a\"\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    assertEquals("version", e.key());
    assertTrue(e.getMessage().contains("more than 9 digits"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 999999999"), e.getMessage());
  }
}
