package org.blvm.node.admin;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.blvm.admin.AdminProtocol;

/** The commands an admin socket serves, by name. Immutable. */
public final class CommandRegistry {
  private final Map<String, AdminCommand> commands;

  /**
   * @throws IllegalArgumentException when two commands share a name or a name is not a command name
   */
  public CommandRegistry(List<AdminCommand> commands) {
    Map<String, AdminCommand> m = new TreeMap<>();
    for (AdminCommand c : commands) {
      if (!AdminProtocol.COMMAND.matcher(c.name()).matches()) {
        throw new IllegalArgumentException("not a command name: " + c.name());
      }
      if (m.put(c.name(), c) != null) {
        throw new IllegalArgumentException("two commands named " + c.name());
      }
    }
    this.commands = Map.copyOf(m);
  }

  Optional<AdminCommand> find(String name) {
    return Optional.ofNullable(commands.get(name));
  }

  /** The command names, sorted. */
  public List<String> names() {
    return List.copyOf(new TreeMap<>(commands).keySet());
  }
}
