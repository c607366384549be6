package org.blvm.sign;

import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.KeyId;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;

/** Formatting shared by the commands. */
final class Describe {
  private Describe() {}

  static String caps(Set<Capability> caps) {
    if (caps.isEmpty()) {
      return "(none)";
    }
    StringJoiner j = new StringJoiner(", ");
    new TreeSet<>(caps).forEach(c -> j.add(c.wireName()));
    return j.toString();
  }

  static String signers(Policy policy, AdmittedModule a) {
    if (a.unsigned()) {
      return "(nobody: admitted unsigned under allow_unsigned)";
    }
    StringJoiner j = new StringJoiner(", ");
    for (KeyId id : a.signerKeyIds()) {
      j.add(
          policy
              .trustedKey(id)
              .filter(k -> !k.name().equals(id.toString()))
              .map(k -> k.name() + " (" + id + ")")
              .orElse(id.toString()));
    }
    return j + " — " + a.signerKeyIds().size() + " of " + a.modulePolicy().threshold() + " needed";
  }
}
