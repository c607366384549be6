package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code auto_upgrade} per module and the root {@code auto_upgrade_interval_seconds}. */
class PolicyAutoUpgradeTest {
  private static Policy parse(String toml) throws PolicyException {
    return Fixtures.policy(toml);
  }

  private static PolicyException.Problem onlyProblem(String toml) {
    PolicyException e = assertThrows(PolicyException.class, () -> parse(toml));
    assertEquals(1, e.problems().size(), e.getMessage());
    return e.problems().get(0);
  }

  @Test
  void unset_falseAndThreeHundredSeconds() throws Exception {
    Policy p = parse("[modules.svc]\nthreshold = 1\n");
    assertFalse(p.forModule("svc").autoUpgrade());
    assertFalse(p.defaults().autoUpgrade());
    assertEquals(300, p.autoUpgradeIntervalSeconds());
    assertEquals(300, Policy.trusting(List.of(), 1).autoUpgradeIntervalSeconds());
    assertFalse(Policy.trusting(List.of(), 1).forModule("svc").autoUpgrade());
  }

  @Test
  void perModule_overDefaults() throws Exception {
    Policy p =
        parse(
            "auto_upgrade_interval_seconds = 10\n[defaults]\nauto_upgrade = true\n"
                + "[modules.pinned]\nauto_upgrade = false\n[modules.svc]\nthreshold = 1\n");
    assertEquals(10, p.autoUpgradeIntervalSeconds());
    assertTrue(p.defaults().autoUpgrade());
    assertTrue(p.forModule("svc").autoUpgrade(), "from [defaults]");
    assertTrue(p.forModule("no-section").autoUpgrade(), "a module without a section: defaults");
    assertFalse(p.forModule("pinned").autoUpgrade());
    assertTrue(p.forModule("pinned").overrides("auto_upgrade"));
  }

  @Test
  void notABoolean_namedWithItsLine() {
    PolicyException.Problem pr = onlyProblem("[modules.svc]\n\nauto_upgrade = \"yes\"\n");
    assertEquals("modules.svc.auto_upgrade", pr.key());
    assertEquals(3, pr.line());
    assertEquals("must be true or false, found STRING", pr.message());
  }

  @Test
  void interval_boundedTenSecondsToADay() throws Exception {
    assertEquals(
        "must be from 10 to 86400, found 9",
        onlyProblem("auto_upgrade_interval_seconds = 9\n").message());
    PolicyException.Problem high = onlyProblem("auto_upgrade_interval_seconds = 86401\n");
    assertEquals("auto_upgrade_interval_seconds", high.key());
    assertEquals("must be from 10 to 86400, found 86401", high.message());
    assertEquals(
        86_400, parse("auto_upgrade_interval_seconds = 86400\n").autoUpgradeIntervalSeconds());
  }

  @Test
  void intervalInAModuleSection_unknownKey() {
    PolicyException.Problem pr = onlyProblem("[modules.svc]\nauto_upgrade_interval_seconds = 60\n");
    assertEquals("modules.svc.auto_upgrade_interval_seconds", pr.key());
    assertTrue(pr.message().startsWith("unknown key; allowed here: "), pr.message());
    assertTrue(pr.message().contains("auto_upgrade"), pr.message());
  }
}
