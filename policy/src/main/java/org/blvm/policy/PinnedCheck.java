package org.blvm.policy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a module admitted earlier again, reading nothing from its directory: what {@link
 * Admission#recheck} and {@link Admission#readmit} do for an automatic restart, an operator's start
 * or restart, a rollback and a policy reload. Stateless.
 */
final class PinnedCheck {
  private PinnedCheck() {}

  /** See {@link Admission#recheck}. */
  static AdmittedModule recheck(Policy policy, Clock clock, AdmittedModule admitted, Path moduleDir)
      throws AdmissionException {
    ModuleManifest manifest = admitted.manifest();
    String module = manifest.name();
    ModulePolicy mp = policy.forModule(module);
    Set<KeyId> counted = new LinkedHashSet<>();
    if (admitted.unsigned()) {
      if (!mp.allowUnsigned()) {
        throw new UnsignedModuleException(module, moduleDir);
      }
    } else {
      Instant now = clock.instant();
      List<String> reasons = new ArrayList<>();
      for (KeyId id : admitted.signerKeyIds()) {
        if (policy.isRevoked(id)) {
          reasons.add("key " + id + " is revoked by the policy");
        } else if (policy.trustedKey(id).isEmpty()) {
          reasons.add("key " + id + " is no longer trusted by the policy");
        } else if (!policy.trustedKey(id).get().validAt(now)) {
          reasons.add("key " + id + " is not valid at " + now);
        } else {
          counted.add(id);
        }
      }
      if (counted.size() < mp.threshold()) {
        throw new ThresholdNotMetException(module, mp.threshold(), counted.size(), reasons);
      }
    }
    CapabilityGrant grant = CapabilityGrant.of(module, manifest, mp);
    return new AdmittedModule(
        manifest,
        grant.granted(),
        grant.dropped(),
        admitted.binaryPath(),
        admitted.binarySha256(),
        counted,
        mp,
        admitted.manifestSha256(),
        admitted.tree());
  }

  /**
   * See {@link Admission#readmit}: {@link #recheck}, then, when the admission has a store, the
   * stored copy must read back as the tree admitted.
   */
  static AdmittedModule readmit(
      Policy policy, Clock clock, boolean stored, AdmittedModule admitted, Path moduleDir)
      throws AdmissionException {
    AdmittedModule now = recheck(policy, clock, admitted, moduleDir);
    if (stored && !ContentStore.storedIntact(admitted.tree().root(), admitted.tree().files())) {
      throw new AdmissionStateException(
          admitted.tree().root(),
          "the stored copy of module "
              + admitted.manifest().name()
              + " version "
              + admitted.manifest().version()
              + " no longer reads back as tree "
              + admitted.tree().digest()
              + "; admit it again from its directory (modules upgrade)");
    }
    return now;
  }
}
