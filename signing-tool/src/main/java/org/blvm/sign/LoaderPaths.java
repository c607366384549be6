package org.blvm.sign;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the node keeps its policy, modules and state, for the commands that work on the files
 * without the node ({@code install}, {@code search}): a node's home ({@code blvm-node --home DIR})
 * or the system layout, each path overridable.
 */
final class LoaderPaths {
  @Option(
      names = "--home",
      paramLabel = "DIR",
      description =
          "The node's home (blvm-node --home DIR): DIR/policy.toml, DIR/modules, DIR/state."
              + " Default: /etc/blvm/policy.toml, /var/lib/blvm/modules, /var/lib/blvm/state.")
  Path home;

  @Option(names = "--policy", paramLabel = "FILE", description = "The policy file.")
  Path policy;

  @Option(names = "--modules", paramLabel = "DIR", description = "The modules directory.")
  Path modules;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description = "The loader's state directory (version ratchet, newest indexes seen).")
  Path state;

  /**
   * The state directory, which must exist: the node creates it with the access its sandboxes need
   * (docs/operations.md), and one made here first would lack it.
   *
   * @throws java.nio.file.FileSystemException naming it and the fix
   */
  Path existingState() throws java.nio.file.FileSystemException {
    Path s = state();
    if (!java.nio.file.Files.isDirectory(s)) {
      throw new java.nio.file.FileSystemException(
          s.toString(),
          null,
          "no such state directory: start the node once (it creates its state directory as its"
              + " sandboxes need it), or give --state/--home");
    }
    return s;
  }

  Path policy() {
    return policy != null ? policy : etc().resolve("policy.toml");
  }

  Path modules() {
    return modules != null ? modules : lib().resolve("modules");
  }

  Path state() {
    return state != null ? state : lib().resolve("state");
  }

  private Path etc() {
    return home != null ? home : Path.of("/etc/blvm");
  }

  private Path lib() {
    return home != null ? home : Path.of("/var/lib/blvm");
  }
}
