package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleStatus;

/** {@code modules.list}: every module the node knows, with its state (docs/admin.md). */
public final class ModulesListCommand implements AdminCommand {
  private final ModuleManager modules;

  public ModulesListCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "modules.list";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    call.args().only();
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode list = result.putArray("modules");
    for (ModuleStatus s : modules.statuses()) {
      ObjectNode m = list.addObject();
      m.put("name", s.name());
      m.put("version", s.version());
      m.put("state", s.state().name());
      if (s.pid().isPresent()) {
        m.put("pid", s.pid().getAsLong());
      } else {
        m.putNull("pid");
      }
      m.put("detail", s.detail());
    }
    return result;
  }
}
