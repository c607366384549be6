package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;

/**
 * {@code modules.unload {module}}: stops the module if it runs and forgets it (its data directory
 * stays; {@code modules start} brings it back from the modules directory).
 */
public final class ModuleUnloadCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModuleUnloadCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.unload";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    String name = call.args().only("module").module();
    ModuleOps.require(modules, name);
    try {
      modules.unloadModule(name);
    } catch (IllegalArgumentException e) {
      throw ModuleOps.gone(name);
    }
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("module", name);
    n.put("state", "UNLOADED");
    return n;
  }
}
