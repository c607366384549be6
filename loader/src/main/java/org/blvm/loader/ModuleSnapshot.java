package org.blvm.loader;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;

/**
 * Everything the node can say about one module at one moment ({@link ModuleManager#snapshot}): what
 * an operator's {@code modules status} shows. Counters belong to the current launch (a restart
 * starts them again); {@code restarts} and {@code lastExit} span launches.
 *
 * @param name the module's name
 * @param version its manifest version, or null when the manifest was refused
 * @param state where it is
 * @param detail why it FAILED or STOPPED, or null
 * @param pid the host pid of its process, once launched
 * @param since when it entered its state
 * @param launchedAt when its current process was launched, or null (never launched, refused)
 * @param signers the key ids (16 hex digits) whose signatures counted; empty when unsigned
 * @param unsigned admitted without signatures ({@code allow_unsigned})
 * @param granted the capabilities it holds now (a policy reload may have narrowed them)
 * @param dropped capabilities its manifest declares that the policy dropped
 * @param policy the policy section it was admitted under (limits, profile, restart rule …), or null
 *     when it was refused
 * @param confinement the sandbox profile and kernel limits its current launch runs under (the
 *     loader's defaults with what the policy writes), or null before a launch
 * @param restarts how many times it was restarted after failing
 * @param lastExit how its last process ended, or null
 * @param queuedFrames frames queued for it and not yet written
 * @param calls requests it sent in this launch
 * @param denied requests refused for a missing capability or allowance
 * @param rateLimited requests refused over its rate limit
 * @param droppedEvents events dropped under {@code drop_oldest}
 * @param queueOverflows disconnections for a full queue
 * @param protocolErrors protocol violations
 * @param subscriptions the event types it receives
 * @param served the methods it serves to other modules
 */
public record ModuleSnapshot(
    String name,
    String version,
    ModuleState state,
    String detail,
    OptionalLong pid,
    Instant since,
    Instant launchedAt,
    List<String> signers,
    boolean unsigned,
    Set<Capability> granted,
    Set<Capability> dropped,
    ModulePolicy policy,
    LaunchSpec.Confinement confinement,
    long restarts,
    Exit lastExit,
    int queuedFrames,
    long calls,
    long denied,
    long rateLimited,
    long droppedEvents,
    long queueOverflows,
    long protocolErrors,
    List<String> subscriptions,
    List<String> served) {
  public ModuleSnapshot {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(pid, "pid");
    Objects.requireNonNull(since, "since");
    signers = List.copyOf(signers);
    granted = Set.copyOf(granted);
    dropped = Set.copyOf(dropped);
    subscriptions = List.copyOf(subscriptions);
    served = List.copyOf(served);
  }

  /**
   * How a process of the module ended.
   *
   * @param state STOPPED (asked to stop) or FAILED
   * @param detail how, e.g. "process exited with status 3"
   * @param time when
   */
  public record Exit(ModuleState state, String detail, Instant time) {}
}
