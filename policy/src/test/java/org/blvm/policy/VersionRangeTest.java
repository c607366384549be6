package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VersionRangeTest {
  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        ">=1.0.0, <2.0.0 | 1.0.0 | true",
        ">=1.0.0, <2.0.0 | 1.9.9 | true",
        ">=1.0.0, <2.0.0 | 2.0.0 | false",
        ">=1.0.0, <2.0.0 | 0.9.9 | false",
        "=1.2.3 | 1.2.3 | true",
        "=1.2.3 | 1.2.4 | false",
        "1.2.3 | 1.2.3 | true",
        ">1.0.0 | 1.0.0 | false",
        "<=1.0.0 | 1.0.0 | true",
        ">= 1.0.0 ,< 1.1.0 | 1.0.5 | true",
        ">=1.0.0 | 1.0.0-rc.1 | false",
      })
  void contains_comparatorsAllHold(String range, String version, boolean expected) {
    assertEquals(expected, VersionRange.parse(range).contains(SemVer.parse(version)));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'>>1.0.0' | version \">1.0.0\"",
        "'>=1.0.0 <2.0.0' | is not like",
        "'>=1.0.0,' | is not like",
        "'>=1' | version \"1\"",
        "'~1.0.0' | version \"~1.0.0\"",
        "'   ' | empty",
      })
  void parse_malformed_refusedNamingThePart(String range, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VersionRange.parse(range));

    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void parse_overTheBounds_refused() {
    String nine = ">=1.0.0,".repeat(8) + ">=1.0.0";
    IllegalArgumentException count =
        assertThrows(IllegalArgumentException.class, () -> VersionRange.parse(nine));
    assertTrue(count.getMessage().contains("9 comparators, at most 8"), count.getMessage());

    String longRange = "=1.0.0-" + "a".repeat(VersionRange.MAX_LENGTH);
    IllegalArgumentException length =
        assertThrows(IllegalArgumentException.class, () -> VersionRange.parse(longRange));
    assertTrue(length.getMessage().contains("longer than 256"), length.getMessage());
    assertFalse(VersionRange.parse(">=1.0.0, <2.0.0").toString().isEmpty());
  }
}
