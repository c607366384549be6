package org.blvm.admin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One admin request: {@code {"id": N, "command": "modules.status", "args": {...}}}.
 *
 * @param id chosen by the client, echoed in every line of the answer; 0 to {@link
 *     AdminProtocol#MAX_ID}
 * @param command the command name ({@link AdminProtocol#COMMAND})
 * @param args the command's arguments (an object; empty when the request had none). A copy: the
 *     record never shares it
 */
public record AdminRequest(long id, String command, ObjectNode args) {
  public AdminRequest {
    if (id < 0 || id > AdminProtocol.MAX_ID) {
      throw new IllegalArgumentException("id must be 0 to 2^53-1, found " + id);
    }
    Objects.requireNonNull(command, "command");
    if (!AdminProtocol.COMMAND.matcher(command).matches()) {
      throw new IllegalArgumentException("not a command name: " + command);
    }
    args = args == null ? JsonNodeFactory.instance.objectNode() : args.deepCopy();
  }

  /** A copy of the arguments. */
  @Override
  public ObjectNode args() {
    return args.deepCopy();
  }

  /** The request as one line (UTF-8 JSON and a newline). */
  public byte[] encode() {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("id", id);
    n.put("command", command);
    n.set("args", args);
    return Lines.encode(n);
  }
}
