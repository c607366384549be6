package org.blvm.loader;

import java.util.Objects;

/**
 * How an upgrade ended ({@link ModuleManager#upgradeModule}).
 *
 * @param module the module
 * @param from the version that ran (pinned) before
 * @param to the version found in the module directory, or null when it was refused before its
 *     version was known
 * @param outcome what happened
 * @param status the module's status once the upgrade ended
 * @param reason why it was refused, rolled back or left unchanged; null when upgraded
 */
public record ModuleUpgrade(
    String module, String from, String to, Outcome outcome, ModuleStatus status, String reason) {
  /** What an upgrade did. */
  public enum Outcome {
    /** The new version reached STARTED and is now the pinned copy; the ratchet recorded it. */
    UPGRADED,
    /**
     * The new version did not reach STARTED within its deadline: it was stopped and the previous
     * copy started again; the ratchet did not record the new version.
     */
    ROLLED_BACK,
    /** The directory's version was refused at admission; the running module was not touched. */
    REFUSED,
    /** The directory holds exactly the manifest and files that run already; nothing was done. */
    UNCHANGED
  }

  public ModuleUpgrade {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(status, "status");
  }
}
