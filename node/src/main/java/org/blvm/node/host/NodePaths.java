package org.blvm.node.host;

import java.nio.file.Path;
import java.util.Objects;
import org.blvm.admin.AdminProtocol;

/**
 * Where a node keeps its files (docs/operations.md, "Layout").
 *
 * @param policy the operator's policy file
 * @param config the node config (TOML: [simulation], [modules.NAME], sections modules may read)
 * @param modules the directory of module directories
 * @param state the loader's state: the version ratchet, the binary store, the audit log
 * @param data the modules' own data directories
 * @param runtime sockets, the modules' output logs, junixsocket's native library
 * @param adminSocket the admin socket
 */
record NodePaths(
    Path policy, Path config, Path modules, Path state, Path data, Path runtime, Path adminSocket) {
  NodePaths {
    policy = abs(policy, "policy");
    config = abs(config, "config");
    modules = abs(modules, "modules");
    state = abs(state, "state");
    data = abs(data, "data");
    runtime = abs(runtime, "runtime");
    adminSocket = abs(adminSocket, "adminSocket");
  }

  /** The FHS defaults of a node installed on the system. */
  static NodePaths system() {
    return layout(Path.of("/etc/blvm"), Path.of("/var/lib/blvm"), Path.of("/run/blvm"));
  }

  /** Everything under one directory, as the demo and an unprivileged operator use it. */
  static NodePaths home(Path home) {
    Path h = home.toAbsolutePath().normalize();
    return layout(h, h, h.resolve("run"));
  }

  /**
   * Config files in {@code etc}, modules, state and data in {@code lib}, runtime files in {@code
   * run}.
   */
  private static NodePaths layout(Path etc, Path lib, Path run) {
    return new NodePaths(
        etc.resolve("policy.toml"),
        etc.resolve("node.toml"),
        lib.resolve("modules"),
        lib.resolve("state"),
        lib.resolve("data"),
        run,
        AdminProtocol.defaultSocket(run));
  }

  /** The audit log of every permission decision: kept with the state. */
  Path auditLog() {
    return state.resolve("audit.jsonl");
  }

  private static Path abs(Path p, String name) {
    return Objects.requireNonNull(p, name).toAbsolutePath().normalize();
  }
}
