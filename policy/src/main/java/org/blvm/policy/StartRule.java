package org.blvm.policy;

/**
 * When the loader launches a module: at node start ({@code eager}), or only when it is needed
 * ({@code on_demand}: the first {@code call_module} to a method it provides, or the first event of
 * a type its manifest {@code subscribes} to), and stopped again after {@code idleSeconds} without
 * calls or events.
 *
 * @param mode {@code start} in the policy
 * @param idleSeconds {@code idle_seconds}: how long an on-demand module may run without a call or
 *     an event before it is stopped; ignored for an eager module
 */
public record StartRule(Mode mode, int idleSeconds) {
  /** {@code idle_seconds} when the policy does not set it. */
  public static final int DEFAULT_IDLE_SECONDS = 300;

  /** The longest {@code idle_seconds} (a day). */
  public static final int MAX_IDLE_SECONDS = 86_400;

  /** What a module gets when the policy says nothing. */
  public static final StartRule DEFAULT = new StartRule(Mode.EAGER, DEFAULT_IDLE_SECONDS);

  /** {@code eager | on_demand}. */
  public enum Mode {
    EAGER,
    ON_DEMAND
  }

  public StartRule {
    java.util.Objects.requireNonNull(mode, "mode");
    if (idleSeconds < 1 || idleSeconds > MAX_IDLE_SECONDS) {
      throw new IllegalArgumentException(
          "idleSeconds must be 1.." + MAX_IDLE_SECONDS + ", found " + idleSeconds);
    }
  }

  /** Whether the module is launched only when needed. */
  public boolean onDemand() {
    return mode == Mode.ON_DEMAND;
  }
}
