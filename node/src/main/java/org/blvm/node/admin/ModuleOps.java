package org.blvm.node.admin;

import java.time.Duration;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleSnapshot;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.policy.ModulePolicy;

/** What the module commands share: finding the module and waiting for a final state. */
final class ModuleOps {
  private ModuleOps() {}

  /** The module's snapshot, or {@code UNKNOWN_MODULE}. */
  static ModuleSnapshot require(ModuleManager modules, String name) throws AdminException {
    return modules
        .snapshot(name)
        .orElseThrow(
            () ->
                new AdminException(
                    AdminErrorCode.UNKNOWN_MODULE,
                    "no module \"" + name + "\" (modules list shows the ones the node knows)"));
  }

  static AdminException wrongState(String name, ModuleState state, String detail, String op) {
    return new AdminException(
        AdminErrorCode.WRONG_STATE,
        "module "
            + name
            + " is "
            + state
            + (detail == null ? "" : " (" + detail + ")")
            + ": "
            + op);
  }

  /**
   * Waits until a module just launched is STARTED or has ended (FAILED), bounded by its connect
   * timeout and 10 s more; returns its status then.
   */
  static ModuleStatus awaitStarted(ModuleManager modules, ModuleStatus launched)
      throws AdminException, InterruptedException {
    String name = launched.name();
    if (launched.state() != ModuleState.LOADED) {
      return launched; // refused or failed at launch
    }
    int connect =
        modules
            .snapshot(name)
            .map(ModuleSnapshot::policy)
            .map(ModulePolicy::connectTimeoutSeconds)
            .orElse(ModulePolicy.DEFAULT_CONNECT_TIMEOUT_SECONDS);
    Duration bound = Duration.ofSeconds(connect + 10L);
    try {
      modules.awaitState(name, ModuleState.STARTED, bound);
    } catch (IllegalArgumentException e) {
      throw new AdminException(AdminErrorCode.UNKNOWN_MODULE, "module " + name + " was unloaded");
    }
    ModuleStatus now = modules.status(name).orElseThrow(() -> gone(name));
    if (now.state().isLive() && now.state() != ModuleState.STARTED) {
      throw new AdminException(
          AdminErrorCode.TIMEOUT,
          "module " + name + " is still " + now.state() + " after " + bound.toSeconds() + " s",
          SnapshotJson.outcome(now));
    }
    return now;
  }

  static AdminException gone(String name) {
    return new AdminException(AdminErrorCode.UNKNOWN_MODULE, "module " + name + " was unloaded");
  }
}
