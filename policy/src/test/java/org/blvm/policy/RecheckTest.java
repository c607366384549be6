package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A module admitted under one policy, checked again under another (a policy reload). */
class RecheckTest {
  private static final String CAPS = "\"read_blockchain\", \"read_mempool\"";
  private static final String ALLOW_BOTH =
      "[defaults]\ncapabilities = [\"read_blockchain\", \"read_mempool\"]\n";

  @TempDir Path tmp;

  private final MinisignSecretKey a = Fixtures.key();
  private final MinisignSecretKey b = Fixtures.key();

  private Path dir;
  private Admission admission;
  private AdmittedModule admitted;

  private int runs;

  private void admit(String policyToml, MinisignSecretKey... signers) throws Exception {
    runs++;
    dir = Fixtures.module(tmp.resolve("modules" + runs), "m", "1.0.0", CAPS);
    for (MinisignSecretKey k : signers) {
      Fixtures.sign(dir, k, k == a ? "a" : "b");
    }
    admission = Fixtures.admission(Fixtures.policy(policyToml), tmp.resolve("state" + runs));
    admitted = admission.admit(dir);
  }

  private AdmittedModule recheck(String policyToml) throws Exception {
    return admission.withPolicy(Fixtures.policy(policyToml)).recheck(admitted, dir);
  }

  private static String keys(MinisignSecretKey... ks) {
    StringBuilder s = new StringBuilder();
    for (MinisignSecretKey k : ks) {
      s.append(Fixtures.keyEntry(k == ks[0] ? "first" : "k" + k.keyId(), k, ""));
    }
    return s.toString();
  }

  @Test
  void withPolicy_keepsTheStateDirectory() throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    Admission other = admission.withPolicy(Fixtures.trusting(b));
    assertEquals(admission.stateDir(), other.stateDir());
    assertEquals(Optional.of(tmp.resolve("state1")), other.stateDir());
    assertSame(other.policy(), other.policy());
  }

  @Test
  void readmit_newVersionInTheDirectory_runsTheStoredCopy_aDamagedCopyRefusedNamingIt()
      throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    // the directory now holds another version: readmit does not read it
    java.nio.file.Files.writeString(dir.resolve("mod.bin"), "a newer binary\n");
    AdmittedModule again = admission.readmit(admitted, dir);
    assertEquals(admitted.binaryPath(), again.binaryPath());
    assertEquals("1.0.0", again.manifest().version());
    // the stored copy itself damaged (the store is the loader's; this is a damaged disk)
    Path stored = admitted.binaryPath();
    stored.toFile().setWritable(true);
    java.nio.file.Files.writeString(stored, "damaged\n");
    AdmissionStateException e =
        assertThrows(AdmissionStateException.class, () -> admission.readmit(admitted, dir));
    assertTrue(e.getMessage().contains("stored copy of module m version 1.0.0"), e.getMessage());
  }

  @Test
  void recheck_samePolicy_unchanged() throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    AdmittedModule again = recheck(keys(a) + ALLOW_BOTH);
    assertEquals(admitted.grantedCapabilities(), again.grantedCapabilities());
    assertEquals(Set.of(a.keyId()), again.signerKeyIds());
    assertEquals(admitted.binaryPath(), again.binaryPath());
  }

  @Test
  void recheck_signingKeyRevoked_thresholdNotMetSayingRevoked() throws Exception {
    admit(keys(a, b) + ALLOW_BOTH, a);
    ThresholdNotMetException e =
        assertThrows(
            ThresholdNotMetException.class,
            () -> recheck("revoked = [\"" + a.keyId() + "\"]\n" + keys(a, b) + ALLOW_BOTH));
    assertEquals("m", e.module());
    assertEquals(0, e.found());
    assertEquals(List.of("key " + a.keyId() + " is revoked by the policy"), e.notCounted());
  }

  @Test
  void recheck_signingKeyNoLongerListed_thresholdNotMetSayingUntrusted() throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    ThresholdNotMetException e =
        assertThrows(ThresholdNotMetException.class, () -> recheck(keys(b) + ALLOW_BOTH));
    assertTrue(e.notCounted().get(0).contains("no longer trusted"), e.getMessage());
  }

  @Test
  void recheck_keyNoLongerValid_thresholdNotMet() throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    String expired = Fixtures.keyEntry("a", a, "not_after = 2026-01-01T00:00:00Z") + ALLOW_BOTH;
    ThresholdNotMetException e =
        assertThrows(ThresholdNotMetException.class, () -> recheck(expired));
    assertTrue(e.notCounted().get(0).contains("not valid at"), e.getMessage());
  }

  @Test
  void recheck_thresholdRaised_twoSignersStayOneSignerRefused() throws Exception {
    admit(keys(a, b) + ALLOW_BOTH, a, b);
    assertEquals(
        Set.of(a.keyId(), b.keyId()),
        recheck("threshold = 2\n" + keys(a, b) + ALLOW_BOTH).signerKeyIds());
    admit(keys(a, b) + ALLOW_BOTH, a);
    ThresholdNotMetException e =
        assertThrows(
            ThresholdNotMetException.class,
            () -> recheck("threshold = 2\n" + keys(a, b) + ALLOW_BOTH));
    assertEquals(2, e.required());
    assertEquals(1, e.found());
  }

  @Test
  void recheck_capabilityRemovedUnderReject_refusedUnderDrop_narrowed() throws Exception {
    admit(keys(a) + ALLOW_BOTH, a);
    String narrowed = keys(a) + "[defaults]\ncapabilities = [\"read_blockchain\"]\n";
    CapabilityNotAllowedException e =
        assertThrows(CapabilityNotAllowedException.class, () -> recheck(narrowed));
    assertEquals(Set.of(Capability.READ_MEMPOOL), e.disallowed());
    AdmittedModule dropped = recheck(narrowed + "on_disallowed_capability = \"drop\"\n");
    assertEquals(Set.of(Capability.READ_BLOCKCHAIN), dropped.grantedCapabilities());
    assertEquals(Set.of(Capability.READ_MEMPOOL), dropped.droppedCapabilities());
  }

  @Test
  void recheck_unsignedModule_allowedOnlyWhileAllowUnsignedStays() throws Exception {
    String unsigned = ALLOW_BOTH + "[modules.m]\nallow_unsigned = true\n";
    admit(unsigned + "capabilities = [\"read_blockchain\", \"read_mempool\"]\n");
    assertTrue(
        recheck(unsigned + "capabilities = [\"read_blockchain\", \"read_mempool\"]\n").unsigned());
    UnsignedModuleException e =
        assertThrows(UnsignedModuleException.class, () -> recheck(ALLOW_BOTH));
    assertEquals("m", e.module());
  }
}
