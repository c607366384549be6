package org.blvm.sign;

import java.nio.file.Path;
import java.time.Duration;
import org.blvm.admin.AdminProtocol;
import picocli.CommandLine.Option;

/** How a node command finds the node and prints its answer. */
final class NodeSocketOptions {
  /** Where a system node's admin socket is. */
  static final Path SYSTEM_SOCKET = AdminProtocol.defaultSocket(Path.of("/run/blvm"));

  @Option(
      names = "--admin-socket",
      paramLabel = "PATH",
      description = "The node's admin socket (default /run/blvm/admin.d/admin.sock).")
  Path adminSocket;

  @Option(
      names = "--home",
      paramLabel = "DIR",
      description =
          "The node's home (blvm-node --home DIR): its socket DIR/run/admin.d/admin.sock.")
  Path home;

  @Option(names = "--json", description = "Print the node's answer as JSON (one object a line).")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "120",
      description = "How long to wait for the node's answer (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  Path socket() {
    if (adminSocket != null) {
      return adminSocket;
    }
    if (home != null) {
      return AdminProtocol.defaultSocket(home.resolve("run"));
    }
    return SYSTEM_SOCKET;
  }

  Duration timeout() {
    return Duration.ofSeconds(Math.max(1, timeoutSeconds));
  }
}
