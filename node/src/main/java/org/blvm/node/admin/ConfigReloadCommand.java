package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ConfigReload;
import org.blvm.loader.ModuleManager;

/**
 * {@code config.reload}: re-reads the node config and sends each subscribed module the sections it
 * may see that changed (docs/config.md). A broken file is refused ({@code INVALID_CONFIG}, the old
 * config stays in force, nothing is sent).
 */
public final class ConfigReloadCommand implements AdminCommand {
  private final ModuleManager modules;

  public ConfigReloadCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "config.reload";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    call.args().only();
    ConfigReload r;
    try {
      r = modules.reloadConfig();
    } catch (IllegalStateException e) {
      throw new AdminException(AdminErrorCode.NOT_CONFIGURED, e.getMessage());
    }
    if (!r.applied()) {
      throw new AdminException(
          AdminErrorCode.INVALID_CONFIG, r.error() + "; the config in force is unchanged");
    }
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("generation", r.generation());
    n.put("time", r.time().toString());
    ArrayNode changed = n.putArray("changed_sections");
    r.changedSections().forEach(changed::add);
    return n;
  }
}
