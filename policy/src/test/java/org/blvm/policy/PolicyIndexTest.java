package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PolicyIndexTest {
  @Test
  void parse_indexSection_keysApartFromModuleKeys() throws Exception {
    MinisignSecretKey m = Fixtures.key();
    MinisignSecretKey i = Fixtures.key();

    Policy p =
        Fixtures.policy(
            "threshold = 1\n"
                + Fixtures.keyEntry("mk", m, "")
                + "[index]\nthreshold = 1\n"
                + Fixtures.keyEntry("ik", i, "").replace("[[keys]]", "[[index.keys]]"));

    assertEquals(1, p.indexTrust().keys().size());
    assertEquals("ik", p.indexTrust().key(i.keyId()).orElseThrow().name());
    assertTrue(p.indexTrust().key(m.keyId()).isEmpty());
    assertTrue(p.trustedKey(i.keyId()).isEmpty());
  }

  @Test
  void parse_noIndexSection_trustsNoIndexKey() throws Exception {
    assertTrue(Fixtures.trusting(Fixtures.key()).indexTrust().keys().isEmpty());
  }

  @Test
  void parse_indexUnknownKeyOrThresholdAboveKeys_refusedNamingTheKey() {
    PolicyException e =
        assertThrows(
            PolicyException.class, () -> Fixtures.policy("[index]\nthreshold = 2\ntrusted = []\n"));

    assertTrue(e.getMessage().contains("index.trusted"), e.getMessage());
    assertTrue(e.getMessage().contains("index.threshold"), e.getMessage());
  }
}
