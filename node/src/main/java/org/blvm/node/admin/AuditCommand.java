package org.blvm.node.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.blvm.admin.AdminException;
import org.blvm.loader.ModuleManager;

/**
 * {@code audit {module?, lines?, follow?}}: the audit log of permission decisions
 * (docs/architecture.md): its last {@code lines} records (default 100, at most 10000, from at most
 * the last 256 KiB), of one module when {@code module} is given, each an event holding the record
 * as written; with {@code follow}, then every new one. Records that are not about a module (a gap
 * or a drop count) are always sent.
 */
public final class AuditCommand implements AdminCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModuleManager modules;

  public AuditCommand(ModuleManager modules) {
    this.modules = modules;
  }

  @Override
  public String name() {
    return "audit";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException, InterruptedException {
    Args args = call.args().only("module", "lines", "follow");
    Optional<String> module = args.optionalModule();
    int lines = args.integer("lines", 100, 0, 10_000);
    boolean follow = args.flag("follow", false);
    FileTail tail = new FileTail(modules.auditLog());
    int sent = Follow.run(call, tail, lines, follow, line -> record(line, module));
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("file", modules.auditLog().toString());
    n.put("records", sent);
    return n;
  }

  /** The record, if it is one to send; a line that is not a JSON object is sent as text. */
  private static ObjectNode record(String line, Optional<String> module) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      n = null;
    }
    if (n == null || !n.isObject()) {
      return JsonNodeFactory.instance.objectNode().put("line", line);
    }
    JsonNode m = n.get("module");
    if (module.isPresent() && m != null && !module.get().equals(m.asText())) {
      return null;
    }
    return (ObjectNode) n;
  }
}
