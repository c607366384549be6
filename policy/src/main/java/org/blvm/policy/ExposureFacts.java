package org.blvm.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.blvm.protocol.Capability;

/**
 * What {@link SecurityExposure#assess} looks at for one module: what admission granted, what the
 * policy sets, and — known only to a running node — how its sandbox runs.
 *
 * @param module the module's name
 * @param granted capabilities granted (declared ∩ allowed)
 * @param unsigned admitted without a signature
 * @param allowUnsigned the policy's {@code allow_unsigned}
 * @param threshold signatures the policy requires
 * @param configSecrets the policy's {@code config_secrets} is not empty
 * @param callableAny {@code callable_modules = "*"}
 * @param rateUnlimited {@code rate_limit.requests_per_second = 0}
 * @param hostNetwork {@code network = "host"}: the host's network namespace
 * @param limits the {@code limits} the policy writes (each empty: the loader's default)
 * @param profile the seccomp profile in force: the policy's, or the loader's when known; empty when
 *     not known (offline, without a policy value)
 * @param isolation how the sandbox runs; {@link Isolation#UNKNOWN} offline
 * @param writablePaths what the module can write that outlives it: its data directory (its path, or
 *     a description when the path is not known)
 */
public record ExposureFacts(
    String module,
    Set<Capability> granted,
    boolean unsigned,
    boolean allowUnsigned,
    int threshold,
    boolean configSecrets,
    boolean callableAny,
    boolean rateUnlimited,
    boolean hostNetwork,
    LimitSettings limits,
    Optional<String> profile,
    Isolation isolation,
    List<String> writablePaths) {

  public ExposureFacts {
    Objects.requireNonNull(module, "module");
    granted = Set.copyOf(granted);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(isolation, "isolation");
    writablePaths = List.copyOf(writablePaths);
  }

  /** How a module's process is confined, as far as the caller knows. */
  public enum Isolation {
    /** Sandboxed, under a host uid of its own. */
    SANDBOX_OWN_UID,
    /** Sandboxed, under a host uid all sandboxes share. */
    SANDBOX_SHARED_UID,
    /** Sandboxed, under the node's own host uid (the node does not run as root). */
    SANDBOX_NODE_UID,
    /** A plain process: no sandbox at all. */
    UNSANDBOXED,
    /** Not known here (offline checks): the sandbox items are not scored. */
    UNKNOWN
  }

  /** These facts with {@code capabilities} granted instead (a policy reload narrowed them). */
  public ExposureFacts withGranted(Set<Capability> capabilities) {
    return new ExposureFacts(
        module,
        capabilities,
        unsigned,
        allowUnsigned,
        threshold,
        configSecrets,
        callableAny,
        rateUnlimited,
        hostNetwork,
        limits,
        profile,
        isolation,
        writablePaths);
  }

  /**
   * The facts of an admitted module under its policy. {@code loaderProfile} is the profile the
   * loader would use when the policy names none (empty when not known), {@code isolation} and
   * {@code writablePaths} what the caller knows of its sandbox.
   */
  public static ExposureFacts of(
      AdmittedModule a,
      Optional<String> loaderProfile,
      Isolation isolation,
      List<String> writablePaths) {
    ModulePolicy p = a.modulePolicy();
    Optional<String> profile = p.sandboxProfile().or(() -> loaderProfile);
    return new ExposureFacts(
        a.manifest().name(),
        a.grantedCapabilities(),
        a.unsigned(),
        p.allowUnsigned(),
        p.threshold(),
        !p.configSecrets().isEmpty(),
        p.callableModules().contains(ModulePolicy.ANY_MODULE),
        p.rateLimit().unlimited(),
        p.network().host(),
        p.limits(),
        profile,
        isolation,
        writablePaths);
  }
}
