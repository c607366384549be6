package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;

/** {@code modules.status {module}}: everything the node knows about one module. */
public final class ModulesStatusCommand implements AdminCommand {
  private final ModuleManager modules;
  private final Clock clock;

  public ModulesStatusCommand(ModuleManager modules, Clock clock) {
    this.modules = modules;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "modules.status";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    String name = call.args().only("module").module();
    ObjectNode n = SnapshotJson.full(ModuleOps.require(modules, name), clock.instant());
    SnapshotJson.dependencies(n, modules.dependencies(name));
    return n;
  }
}
