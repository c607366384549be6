package org.blvm.loader;

import java.time.Instant;
import java.util.Objects;

/**
 * One move of a module from one state to another, as a {@link ModuleStateListener} is told of it.
 *
 * @param module the module's name
 * @param from the state it left; {@link ModuleState#UNLOADED} for a module the manager did not know
 *     before (one refused at admission is reported UNLOADED → FAILED)
 * @param to the state it is in now
 * @param detail why, when known (e.g. "process exited with status 3"), or null
 * @param time when it moved (the manager's clock)
 */
public record ModuleStateChange(
    String module, ModuleState from, ModuleState to, String detail, Instant time) {
  public ModuleStateChange {
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(time, "time");
  }
}
