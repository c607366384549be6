package org.blvm.policy;

import java.util.Set;
import org.blvm.protocol.Capability;

/**
 * The module declares capabilities the policy does not allow for it, and the policy says to reject
 * rather than drop ({@code on_disallowed_capability = "reject"}, the default).
 */
public final class CapabilityNotAllowedException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final Capability capability;
  private final Set<Capability> disallowed;

  public CapabilityNotAllowedException(String module, Set<Capability> disallowed) {
    super(
        "module "
            + module
            + " declares "
            + disallowed
            + ", which the policy does not allow for it (on_disallowed_capability = \"reject\")");
    this.module = module;
    this.disallowed = Set.copyOf(disallowed);
    this.capability = disallowed.stream().sorted().findFirst().orElseThrow();
  }

  public String module() {
    return module;
  }

  /** The first disallowed capability in catalog order. */
  public Capability capability() {
    return capability;
  }

  /** Every declared capability the policy does not allow. */
  public Set<Capability> disallowed() {
    return disallowed;
  }
}
