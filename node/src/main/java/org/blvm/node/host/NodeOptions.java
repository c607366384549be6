package org.blvm.node.host;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the node's files are: {@code --home DIR} puts all of them under one directory; each path
 * option overrides its default (the system's FHS paths, or the home's).
 */
final class NodeOptions {
  @Option(
      names = "--home",
      paramLabel = "DIR",
      description =
          "Put everything under DIR: DIR/policy.toml, DIR/node.toml, DIR/modules, DIR/state,"
              + " DIR/data, DIR/run (runtime; admin socket DIR/run/admin.d/admin.sock).")
  Path home;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "The operator's policy (default /etc/blvm/policy.toml).")
  Path policy;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "The node config, TOML (default /etc/blvm/node.toml).")
  Path config;

  @Option(
      names = "--modules",
      paramLabel = "DIR",
      description = "The directory of module directories (default /var/lib/blvm/modules).")
  Path modules;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description =
          "The loader's state: version ratchet, binary store, audit log (default"
              + " /var/lib/blvm/state).")
  Path state;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "The modules' data directories (default /var/lib/blvm/data).")
  Path data;

  @Option(
      names = "--runtime",
      paramLabel = "DIR",
      description = "Sockets and module output logs (default /run/blvm); keep the path short.")
  Path runtime;

  @Option(
      names = "--admin-socket",
      paramLabel = "PATH",
      description = "The admin socket (default <runtime>/admin.d/admin.sock).")
  Path adminSocket;

  /** The paths these options give. */
  NodePaths paths() {
    NodePaths base = home == null ? NodePaths.system() : NodePaths.home(home);
    Path run = runtime == null ? base.runtime() : runtime;
    return new NodePaths(
        policy == null ? base.policy() : policy,
        config == null ? base.config() : config,
        modules == null ? base.modules() : modules,
        state == null ? base.state() : state,
        data == null ? base.data() : data,
        run,
        adminSocket != null
            ? adminSocket
            : runtime == null
                ? base.adminSocket()
                : org.blvm.admin.AdminProtocol.defaultSocket(run));
  }
}
