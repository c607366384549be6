package org.blvm.loader;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.blvm.protocol.Capability;

/**
 * What {@link ModuleManager#reloadPolicy} did.
 *
 * @param time when the new policy took effect
 * @param source where the policy came from (its file, as {@code Policy.source()} says)
 * @param stopped the running modules the new policy no longer admits, each stopped with the reason
 * @param narrowed the running modules that keep running with fewer capabilities
 */
public record PolicyReload(
    Instant time, String source, List<Stopped> stopped, List<Narrowed> narrowed) {
  public PolicyReload {
    Objects.requireNonNull(time, "time");
    stopped = List.copyOf(stopped);
    narrowed = List.copyOf(narrowed);
  }

  /**
   * A module stopped because the new policy refuses it.
   *
   * @param module its name
   * @param reason the refusal (revoked or untrusted key, threshold, capability not allowed …)
   * @param state its state after the stop (STOPPED, or FAILED if it survived SIGKILL)
   */
  public record Stopped(String module, String reason, ModuleState state) {}

  /**
   * A module that keeps running without some capabilities (the policy drops rather than rejects
   * them): its next call needing one is refused NOT_CAPABLE, its subscriptions needing one end.
   *
   * @param module its name
   * @param removed the capabilities it lost
   */
  public record Narrowed(String module, Set<Capability> removed) {
    public Narrowed {
      removed = Set.copyOf(removed);
    }
  }
}
