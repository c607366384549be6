package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleSnapshot;
import org.blvm.loader.ModuleStatus;
import org.blvm.loader.ModuleUpgrade;

/**
 * {@code modules.upgrade {module}}: upgrades a loaded module to the version in its directory, with
 * rollback ({@link ModuleManager#upgradeModule}); answers once the new version is STARTED, or the
 * previous one runs again, or the new one was refused: {@code {module, state, detail, pid, outcome,
 * from, to, reason}}.
 */
public final class ModuleUpgradeCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleUpgradeCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.upgrade";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    String name = call.args().only("module").module();
    ModuleSnapshot s = ModuleOps.require(modules, name);
    ModuleUpgrade up;
    try {
      up = modules.upgradeModule(name);
    } catch (IllegalArgumentException e) {
      throw ModuleOps.wrongState(
          name, s.state(), s.detail(), "it was never admitted; modules start admits it");
    } catch (IllegalStateException e) {
      throw new AdminException(AdminErrorCode.WRONG_STATE, e.getMessage());
    }
    return answer(up.status(), up.outcome().name(), up.from(), up.to(), up.reason());
  }

  /** The answer of an upgrade or a rollback: the module's status and how it ended. */
  static ObjectNode answer(
      ModuleStatus status, String outcome, String from, String to, String reason) {
    ObjectNode n = SnapshotJson.outcome(status);
    n.put("outcome", outcome);
    n.put("from", from);
    n.put("to", to);
    n.put("reason", reason);
    return n;
  }
}
