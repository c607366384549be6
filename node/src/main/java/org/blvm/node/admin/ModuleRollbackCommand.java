package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleRollback;
import org.blvm.loader.ModuleSnapshot;

/**
 * {@code modules.rollback {module}}: returns a loaded module to the version that ran just before
 * its last successful upgrade ({@link ModuleManager#rollbackModule}); answers once that version is
 * STARTED, or the version that ran before the rollback runs again, or the rollback was refused:
 * {@code {module, state, detail, pid, outcome, from, to, reason}}.
 */
public final class ModuleRollbackCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleRollbackCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.rollback";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    String name = call.args().only("module").module();
    ModuleSnapshot s = ModuleOps.require(modules, name);
    ModuleRollback up;
    try {
      up = modules.rollbackModule(name);
    } catch (IllegalArgumentException e) {
      throw ModuleOps.wrongState(
          name, s.state(), s.detail(), "it was never admitted; modules start admits it");
    } catch (IllegalStateException e) {
      throw new AdminException(AdminErrorCode.WRONG_STATE, e.getMessage());
    }
    return ModuleUpgradeCommand.answer(
        up.status(), up.outcome().name(), up.from(), up.to(), up.reason());
  }
}
