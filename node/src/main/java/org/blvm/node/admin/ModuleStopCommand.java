package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleSnapshot;
import org.blvm.loader.ModuleState;

/**
 * {@code modules.stop {module}}: stops a running module gracefully (stop message, grace period,
 * SIGTERM, SIGKILL) and answers with its final state (STOPPED, or FAILED if it survived SIGKILL).
 * It is not restarted until started again.
 */
public final class ModuleStopCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleStopCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.stop";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    String name = call.args().only("module").module();
    ModuleSnapshot s = ModuleOps.require(modules, name);
    if (!s.state().isLive() && s.state() != ModuleState.STOPPING) {
      throw ModuleOps.wrongState(name, s.state(), s.detail(), "it is not running");
    }
    try {
      return SnapshotJson.outcome(modules.stopModule(name));
    } catch (IllegalArgumentException e) {
      throw ModuleOps.gone(name);
    }
  }
}
