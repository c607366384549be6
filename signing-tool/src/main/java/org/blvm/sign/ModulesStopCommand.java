package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules stop NAME}. */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    header = "Stops a module gracefully.",
    description =
        "Stops a running module gracefully (stop message, grace period, SIGTERM, SIGKILL); waits for its final state. It stays stopped until started again.")
final class ModulesStopCommand extends ModuleOperationCommand {
  @Override
  String command() {
    return "modules.stop";
  }

  @Override
  String wanted() {
    return "STOPPED";
  }
}
