package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.blvm.admin.AdminException;

/**
 * One command of the admin protocol, e.g. {@code modules.status} (docs/admin.md). Adding a command
 * is one class implementing this and one line in the node's {@link CommandRegistry}.
 *
 * <p>{@link #run} is called on the connection's thread, one request at a time per connection. It
 * checks its arguments (an unknown key or a wrong type is {@code BAD_REQUEST}), does the work and
 * returns the result object, or throws an {@link AdminException} which becomes the error answer. A
 * streaming command ({@code follow}) emits events through {@link AdminCall#emit} until {@link
 * AdminCall#awaitCancel} says the client left; what it returns then is not sent.
 */
public interface AdminCommand {
  /** The command's name on the wire ({@link org.blvm.admin.AdminProtocol#COMMAND}). */
  String name();

  /** Answers one request. */
  JsonNode run(AdminCall call) throws AdminException, InterruptedException;
}
