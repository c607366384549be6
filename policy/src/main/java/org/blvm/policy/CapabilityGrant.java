package org.blvm.policy;

import java.util.EnumSet;
import java.util.Set;
import org.blvm.protocol.Capability;

/** Capabilities granted (declared and allowed) and dropped (declared, not allowed) to a module. */
record CapabilityGrant(Set<Capability> granted, Set<Capability> dropped) {
  CapabilityGrant {
    granted = Set.copyOf(granted);
    dropped = Set.copyOf(dropped);
  }

  /**
   * Grants what the manifest declares and the policy allows; rejects or drops the rest.
   *
   * @throws CapabilityNotAllowedException a declared capability is not allowed and the policy
   *     rejects rather than drops
   */
  static CapabilityGrant of(String module, ModuleManifest manifest, ModulePolicy mp)
      throws CapabilityNotAllowedException {
    Set<Capability> granted = EnumSet.noneOf(Capability.class);
    Set<Capability> dropped = EnumSet.noneOf(Capability.class);
    for (Capability c : manifest.capabilities()) {
      (mp.capabilities().contains(c) ? granted : dropped).add(c);
    }
    if (!dropped.isEmpty()
        && mp.onDisallowedCapability() == ModulePolicy.DisallowedCapability.REJECT) {
      throw new CapabilityNotAllowedException(module, dropped);
    }
    return new CapabilityGrant(granted, dropped);
  }
}
