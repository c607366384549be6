package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleSnapshot;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;

/**
 * {@code modules.restart {module}}: stops the module gracefully if it runs, starts it again (its
 * pinned store copy, rechecked under the current policy: new limits and profile apply), and answers
 * once it is STARTED or has failed.
 */
public final class ModuleRestartCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleRestartCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.restart";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    String name = call.args().only("module").module();
    ModuleSnapshot s = ModuleOps.require(modules, name);
    if (s.state() == ModuleState.STOPPING) {
      throw ModuleOps.wrongState(name, s.state(), s.detail(), "it is stopping; try again");
    }
    ModuleStatus launched;
    try {
      launched = modules.restartModule(name);
    } catch (IllegalArgumentException e) {
      throw new AdminException(AdminErrorCode.UNKNOWN_MODULE, e.getMessage());
    } catch (IllegalStateException e) {
      throw new AdminException(AdminErrorCode.WRONG_STATE, e.getMessage());
    }
    return SnapshotJson.outcome(ModuleOps.awaitStarted(modules, launched));
  }
}
