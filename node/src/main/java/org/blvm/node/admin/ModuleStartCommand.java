package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;

/**
 * {@code modules.start {module}}: starts a module that is not running (new in the modules directory
 * or refused earlier: admitted from its directory; STOPPED or FAILED: its pinned store copy,
 * rechecked under the current policy), and answers once it is STARTED or has failed.
 */
public final class ModuleStartCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleStartCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.start";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    String name = call.args().only("module").module();
    Optional<ModuleStatus> now = modules.status(name);
    if (now.isPresent()
        && (now.get().state().isLive() || now.get().state() == ModuleState.STOPPING)) {
      throw ModuleOps.wrongState(
          name, now.get().state(), null, "it is running; stop it first, or use modules restart");
    }
    ModuleStatus launched;
    try {
      launched = modules.startModule(name);
    } catch (IllegalArgumentException e) {
      throw new AdminException(AdminErrorCode.UNKNOWN_MODULE, e.getMessage());
    } catch (IllegalStateException e) {
      throw new AdminException(AdminErrorCode.WRONG_STATE, e.getMessage());
    }
    return SnapshotJson.outcome(ModuleOps.awaitStarted(modules, launched));
  }
}
