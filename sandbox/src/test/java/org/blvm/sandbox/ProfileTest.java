package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The profile format is parsed strictly and refuses comparisons that fail open. */
class ProfileTest {
  private static String profile(String rules) {
    return "{\"profile\":\"t\",\"description\":\"d\",\"default_action\":\"allow\","
        + "\"other_abis\":\"errno:EPERM\",\"rules\":["
        + rules
        + "]}";
  }

  private static String rule(String args) {
    return "{\"why\":\"w\",\"syscalls\":[\"socket\"],\"action\":\"errno:EAFNOSUPPORT\",\"args\":["
        + args
        + "]}";
  }

  @Test
  void named_shippedProfiles_parse() throws Exception {
    assertEquals("default", Profile.named("default").name());
    assertEquals("strict", Profile.named("strict").name());
  }

  @Test
  void parse_eqComparison_refusedAsFailingOpen() {
    ProfileException e =
        assertThrows(
            ProfileException.class,
            () -> Profile.parse("t", profile(rule("{\"index\":0,\"op\":\"eq\",\"value\":2}"))));
    assertEquals("t", e.profile());
    assertTrue(e.getMessage().contains("upper half"), e.getMessage());
  }

  @Test
  void parse_maskedEqWithoutMask_refused() {
    ProfileException e =
        assertThrows(
            ProfileException.class,
            () ->
                Profile.parse(
                    "t", profile(rule("{\"index\":0,\"op\":\"masked_eq\",\"value\":2}"))));
    assertTrue(e.getMessage().contains("explicit mask"), e.getMessage());
  }

  @Test
  void parse_unknownSyscall_refusedByName() {
    ProfileException e =
        assertThrows(
            ProfileException.class,
            () ->
                Profile.parse(
                    "t",
                    profile(
                        "{\"why\":\"w\",\"syscalls\":[\"no_such_call\"],"
                            + "\"action\":\"errno:EPERM\"}")));
    assertTrue(e.getMessage().contains("no_such_call"), e.getMessage());
  }

  @Test
  void parse_unknownAndDuplicateKeys_refused() {
    assertThrows(
        ProfileException.class,
        () -> Profile.parse("t", profile("").replace("\"rules\"", "\"extra\":1,\"rules\"")));
    assertThrows(
        ProfileException.class,
        () ->
            Profile.parse(
                "t",
                profile("").replace("\"profile\":\"t\"", "\"profile\":\"t\",\"profile\":\"u\"")));
  }

  @Test
  void parse_neInAllowRuleOfAllowList_refused() {
    String p =
        "{\"profile\":\"t\",\"description\":\"d\",\"default_action\":\"errno:EPERM\","
            + "\"other_abis\":\"errno:EPERM\",\"rules\":[{\"why\":\"w\",\"syscalls\":[\"socket\"],"
            + "\"action\":\"allow\",\"args\":[{\"index\":0,\"op\":\"ne\",\"value\":2}]}]}";
    ProfileException e = assertThrows(ProfileException.class, () -> Profile.parse("t", p));
    assertTrue(e.getMessage().contains("fails open"), e.getMessage());
  }

  @Test
  void parse_unknownCapability_refused() {
    String r =
        "{\"why\":\"w\",\"syscalls\":[\"socket\"],\"action\":\"errno:EPERM\",\"only_with\":\"gpu\"}";
    assertThrows(ProfileException.class, () -> Profile.parse("t", profile(r)));
  }
}
