package org.blvm.node.host;

/** Exit codes of {@code blvm-node} (its --help lists them). */
final class NodeExitCodes {
  /** Stopped cleanly (SIGINT, SIGTERM), or the demo saw what it should. */
  static final int OK = 0;

  /** The node could not start (a bad policy, config, directory or socket), or the demo failed. */
  static final int STARTUP = 1;

  /** Wrong command line. */
  static final int USAGE = 2;

  /** A bug: an unexpected exception (its message is printed, not its stack trace). */
  static final int INTERNAL = 70;

  private NodeExitCodes() {}
}
