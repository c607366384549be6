package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;

/**
 * {@code logs {module, lines?, follow?}}: the module's output log (what its process wrote to stdout
 * and stderr): the last {@code lines} (default 100, at most 10000, from at most the last 256 KiB),
 * as events {@code {"line": "..."}}; with {@code follow}, then every new line until the client
 * leaves. The result counts the lines sent.
 */
public final class LogsCommand implements AdminCommand {
  private final ModuleManager modules;

  public LogsCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "logs";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    Args args = call.args().only("module", "lines", "follow");
    String name = args.module();
    int lines = args.integer("lines", 100, 0, 10_000);
    boolean follow = args.flag("follow", false);
    ModuleOps.require(modules, name);
    FileTail tail = new FileTail(modules.outputLog(name));
    int sent =
        Follow.run(
            call,
            tail,
            lines,
            follow,
            line -> JsonNodeFactory.instance.objectNode().put("line", line));
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("module", name);
    n.put("file", modules.outputLog(name).toString());
    n.put("lines", sent);
    return n;
  }
}
