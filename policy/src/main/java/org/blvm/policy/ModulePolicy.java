package org.blvm.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.blvm.protocol.Capability;

/**
 * What the operator's policy says about one module: the policy's {@code [defaults]} with the
 * module's {@code [modules.<name>]} keys laid over them, validated and frozen.
 *
 * @param section "defaults" or "modules.&lt;name&gt;" (where the module's own keys came from)
 * @param overrides the keys the module's own section set (everything else is from defaults)
 * @param sandboxProfile the seccomp profile the policy names ({@code sandbox_profile}), or empty:
 *     the loader's own default applies
 * @param limits the resource limits the policy writes; each unwritten one is the loader's default
 * @param threshold signatures by distinct trusted keys this module needs
 * @param connectTimeoutSeconds how long a launched module has to connect and authenticate before it
 *     is FAILED and its process ended
 * @param network what the module may reach over the network ({@code network}: brokered rules and
 *     limits, or the host's network namespace)
 * @param start when the module is launched ({@code start}, {@code idle_seconds})
 * @param autoUpgrade {@code auto_upgrade}: whether the loader takes a newer verified version from
 *     the module's directory by itself, at the policy's {@code auto_upgrade_interval_seconds}
 */
public record ModulePolicy(
    String section,
    Set<String> overrides,
    Set<Capability> capabilities,
    Optional<String> sandboxProfile,
    LimitSettings limits,
    List<String> configSections,
    Set<String> callableModules,
    List<String> configSecrets,
    RateLimit rateLimit,
    EventOverflow eventOverflow,
    RestartRule restart,
    DisallowedCapability onDisallowedCapability,
    boolean allowUnsigned,
    int threshold,
    int connectTimeoutSeconds,
    NetworkPolicy network,
    StartRule start,
    boolean autoUpgrade) {

  /** {@code connect_timeout_seconds} when the policy does not set it. */
  public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;

  /** What happens when a module's event queue is full. */
  public enum EventOverflow {
    /** Drop the oldest queued events and tell the module how many with EventsDropped. */
    DROP_OLDEST,
    /** Disconnect the module (it is then restarted per its restart rule). */
    DISCONNECT
  }

  /** What happens when a module declares a capability the policy does not allow it. */
  public enum DisallowedCapability {
    /** Refuse to admit the module (the default). */
    REJECT,
    /** Admit it without those capabilities. */
    DROP
  }

  public ModulePolicy {
    Objects.requireNonNull(section);
    overrides = Set.copyOf(overrides);
    capabilities = Set.copyOf(capabilities);
    Objects.requireNonNull(sandboxProfile);
    Objects.requireNonNull(limits);
    configSections = List.copyOf(configSections);
    callableModules = Set.copyOf(callableModules);
    configSecrets = List.copyOf(configSecrets);
    Objects.requireNonNull(rateLimit);
    Objects.requireNonNull(eventOverflow);
    Objects.requireNonNull(restart);
    Objects.requireNonNull(onDisallowedCapability);
    Objects.requireNonNull(network);
    Objects.requireNonNull(start);
    if (connectTimeoutSeconds < 1) {
      throw new IllegalArgumentException(
          "connectTimeoutSeconds must be >= 1, found " + connectTimeoutSeconds);
    }
  }

  /** A module the loader never upgrades by itself. */
  public ModulePolicy(
      String section,
      Set<String> overrides,
      Set<Capability> capabilities,
      Optional<String> sandboxProfile,
      LimitSettings limits,
      List<String> configSections,
      Set<String> callableModules,
      List<String> configSecrets,
      RateLimit rateLimit,
      EventOverflow eventOverflow,
      RestartRule restart,
      DisallowedCapability onDisallowedCapability,
      boolean allowUnsigned,
      int threshold,
      int connectTimeoutSeconds,
      NetworkPolicy network,
      StartRule start) {
    this(
        section,
        overrides,
        capabilities,
        sandboxProfile,
        limits,
        configSections,
        callableModules,
        configSecrets,
        rateLimit,
        eventOverflow,
        restart,
        onDisallowedCapability,
        allowUnsigned,
        threshold,
        connectTimeoutSeconds,
        network,
        start,
        false);
  }

  /** {@code limits} keys, as written in the policy file. */
  public static final List<String> LIMIT_KEYS =
      List.of(
          "memory_mb",
          "cpu_seconds",
          "open_files",
          "processes",
          "disk_mb",
          "data_mb",
          "data_files");

  /** Whether {@code callable_modules} lets this module call {@code target} ({@code "*"}: any). */
  public boolean mayCall(String target) {
    return callableModules.contains(ANY_MODULE) || callableModules.contains(target);
  }

  /** In {@code callable_modules}: every module. */
  public static final String ANY_MODULE = "*";

  /** Whether {@code key} came from the module's own section rather than {@code [defaults]}. */
  public boolean overrides(String key) {
    return overrides.contains(key);
  }
}
