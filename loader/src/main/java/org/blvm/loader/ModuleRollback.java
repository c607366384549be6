package org.blvm.loader;

import java.util.Objects;

/**
 * How a rollback ended ({@link ModuleManager#rollbackModule}).
 *
 * @param module the module
 * @param from the version that ran before the rollback
 * @param to the version it went back to, or null when none was known
 * @param outcome what happened
 * @param status the module's status once the rollback ended
 * @param reason why it was refused or the version that ran was started again; null when rolled back
 */
public record ModuleRollback(
    String module, String from, String to, Outcome outcome, ModuleStatus status, String reason) {
  /** What a rollback did. */
  public enum Outcome {
    /** The previous version reached STARTED and is the pinned copy now; the ratchet recorded it. */
    ROLLED_BACK,
    /**
     * The previous version did not reach STARTED within its deadline: it was stopped and the
     * version that ran before the rollback started again; nothing was recorded.
     */
    KEPT,
    /**
     * Refused before anything was stopped (the reason names the rule); the module was untouched.
     */
    REFUSED
  }

  public ModuleRollback {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(status, "status");
  }
}
